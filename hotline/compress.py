"""Pages and htmx fragments compressed on their way to the browser.

The app serves itself (no proxy in front that would compress), and a queue's page is tens of
kilobytes of table: the dispatcher's 50 tickets were 93 kB, 10 kB compressed (bench/
bench_browser_budgets.py, budget 300 kB). Static files are compressed ahead by whitenoise, which
answers them before this middleware; streams (the live event stream, downloads) are left alone.
Django's GZipMiddleware pads each answer with random bytes against BREACH, and CSRF tokens are
masked anew for every answer.
"""

from django.middleware.gzip import GZipMiddleware


class PageGZipMiddleware(GZipMiddleware):
    """Django's GZipMiddleware for whole HTML answers only."""

    def process_response(self, request, response):
        if response.streaming or not response.get("Content-Type", "").startswith("text/html"):
            return response
        return super().process_response(request, response)
