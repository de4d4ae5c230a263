"""The admin's front page also shows the read replica's lag (hotline/dbrouter.py)."""

from django.contrib import admin

admin.site.index_template = "ops/admin_index.html"
