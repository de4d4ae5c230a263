"""State changes of the orgs app."""

import secrets

from .models import ApiToken, User


def issue_token(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create an API token and return it with the clear key, which is shown only once."""
    key = "hl_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, key_hash=ApiToken.hash_key(key), prefix=key[:8]
    )
    return token, key
