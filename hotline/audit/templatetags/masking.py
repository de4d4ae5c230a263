"""Masked citizens' data in templates: `{{ t.citizen_phone|mask_phone }}` (138****0001)."""

from django import template

from hotline import crypto

register = template.Library()
register.filter("mask_phone", crypto.mask_phone)
register.filter("mask_name", crypto.mask_name)
