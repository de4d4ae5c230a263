"""Password rules beyond Django's own (length, similarity, common passwords, all digits):
character classes, never the user name, and none of the user's last five passwords."""

from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError

from .models import PasswordRecord


class CharacterClassesValidator:
    """At least `min_classes` of: lower-case, upper-case, digits, other characters."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        classes = [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
        if sum(classes) < self.min_classes:
            raise ValidationError(
                f"密码须包含小写字母、大写字母、数字、符号中的至少 {self.min_classes} 类。",
                code="password_too_few_classes",
            )

    def get_help_text(self):
        return f"包含小写字母、大写字母、数字、符号中的至少 {self.min_classes} 类。"


class NotUsernameValidator:
    """The user name may not appear in the password, forwards or backwards, in any case."""

    def validate(self, password, user=None):
        name = (getattr(user, "username", "") or "").lower()
        low = password.lower()
        if len(name) >= 3 and (name in low or name[::-1] in low):
            raise ValidationError("密码不能包含用户名。", code="password_contains_username")

    def get_help_text(self):
        return "不能包含用户名。"


class PasswordHistoryValidator:
    """None of the last `count` passwords again; keeps the history when a password changes."""

    def __init__(self, count: int = 5):
        self.count = count

    def _recent(self, user):
        return PasswordRecord.objects.filter(user=user).values_list("password", flat=True)[
            : self.count
        ]

    def validate(self, password, user=None):
        if user is None or user.pk is None:
            return
        if any(check_password(password, old) for old in self._recent(user)):
            raise ValidationError(
                f"不能与最近 {self.count} 次使用过的密码相同。", code="password_reused"
            )

    def password_changed(self, password, user=None):
        # Django calls this after saving a user whose password was set (AbstractBaseUser.save).
        if user is None or user.pk is None:
            return
        PasswordRecord.objects.create(user=user, password=user.password)
        keep = list(
            PasswordRecord.objects.filter(user=user).values_list("pk", flat=True)[: self.count]
        )
        PasswordRecord.objects.filter(user=user).exclude(pk__in=keep).delete()

    def get_help_text(self):
        return f"不能与最近 {self.count} 次使用过的密码相同。"
