"""Choices shared by the models and the pure matchers (importable before Django's apps load)."""

from django.db import models


class Category(models.TextChoices):
    THREAT = "threat", "扬言极端"
    COLLECTIVE = "collective", "群体维稳"
    MEDIA = "media", "舆情曝光"
    POLITICAL = "political", "有害政治"
    VULNERABLE = "vulnerable", "困难群体"
    EPIDEMIC = "epidemic", "疫情相关"
    REPLY = "reply", "答复禁用语"
    # A phrase that covers a risk word without being a risk (跳楼价): the hit is dropped.
    EXCLUSION = "exclusion", "排除词"


class Level(models.TextChoices):
    RED = "red", "红色"
    ORANGE = "orange", "橙色"
    YELLOW = "yellow", "黄色"
    NONE = "none", "无"


LEVEL_RANK = {Level.NONE: 0, Level.YELLOW: 1, Level.ORANGE: 2, Level.RED: 3}

# The level a new term of a category gets unless the administrator sets another.
DEFAULT_LEVEL = {
    Category.THREAT: Level.RED,
    Category.COLLECTIVE: Level.ORANGE,
    Category.POLITICAL: Level.ORANGE,
    Category.MEDIA: Level.YELLOW,
    Category.VULNERABLE: Level.YELLOW,
    Category.EPIDEMIC: Level.YELLOW,
    Category.REPLY: Level.NONE,
    Category.EXCLUSION: Level.NONE,
}


class Verdict(models.TextChoices):
    PASS = "pass", "通过"
    WARN = "warn", "提示"
    BLOCK = "block", "拦截"
