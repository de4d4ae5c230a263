import os

from django.core.wsgi import get_wsgi_application

os.environ["DJANGO_SETTINGS_MODULE"] = "floor.settings"  # never an inherited one
application = get_wsgi_application()
