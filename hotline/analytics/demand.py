"""The record hot topics are found in: a demand from a ticket or from the public message
board (sources.py makes them, topics.py groups them). A module of its own so that the
sources and the algorithm both import it and neither imports the other back."""

from dataclasses import dataclass
from datetime import datetime


@dataclass
class Demand:
    key: str | int  # ticket id or CSV id
    text: str  # title + content (the title first; `title` below, when given, is used as such)
    citizen: str  # the phone's keyed hash or a user id, for distinct citizens
    region: str  # "福州市鼓楼区", "A市A5区", a region code, or ''
    place: str  # address or place text, or ''
    at: datetime
    votes: int = 0  # likes; see `sources.load_csv` for dislikes
    title: str = ""  # the title alone, when the source keeps it apart from the content
    category: str = ""  # category name, shown with the topic
