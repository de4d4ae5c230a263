"""What the portal refuses: abusive language and illegal (有害政治) content.

Everything else goes in. A demand that screening marks as risky but legitimate — a threat of
self-harm, a planned gathering, a complaint to the media — is exactly what the hotline must
hear: it is accepted, and registration's screening flags it (red turns it 特急) as on every
channel. Refused content is judged on the lexicon screening keeps (category `political`,
edited by administrators) and on the portal's own list of abusive words, both through the
screening matcher, so evasions ("傻 逼", full-width, symbols between characters) do not help.
"""

from functools import cache
from pathlib import Path

from hotline.errors import InvalidInput
from hotline.screening import services as screening
from hotline.screening.kinds import Category, Level
from hotline.screening.matcher import Matcher, Term

ABUSIVE_FILE = Path(__file__).parent / "fixtures" / "abusive.csv"
REFUSED_CATEGORIES = {Category.POLITICAL}
ABUSIVE = "abusive"


@cache
def _abusive() -> Matcher:
    lines = ABUSIVE_FILE.read_text(encoding="utf-8").splitlines()
    words = [w.strip() for w in lines if w.strip() and not w.startswith("#")]
    return Matcher([Term(w, ABUSIVE, Level.NONE) for w in words])


def refused_terms(title: str, content: str) -> list[str]:
    """The words that make the demand unacceptable, or []."""
    found = [h.term for h in _abusive().screen(title, content).hits]
    result = screening.screen_demand(title, content)
    found += [h.term for h in result.hits if h.category in REFUSED_CATEGORIES]
    return list(dict.fromkeys(found))


def check(title: str, content: str) -> None:
    """Raise InvalidInput(field="content") with a polite message if the text is refused."""
    if refused_terms(title, content):
        raise InvalidInput(
            "您提交的内容含有不文明用语或违法有害信息，系统无法受理。请修改后重新提交；"
            "如需举报违法犯罪线索，请拨打110或12345热线。",
            "the demand contains abusive or illegal content and cannot be accepted",
            field="content",
        )
