"""`hotline vapid_keys`: a new VAPID key pair for Web Push, as the environment takes it."""

from django.core.management.base import BaseCommand

from hotline.supervision.webpush import generate_keys


class Command(BaseCommand):
    help = "Print a new VAPID key pair (HOTLINE_VAPID_PUBLIC_KEY / HOTLINE_VAPID_PRIVATE_KEY)."

    def handle(self, *args, **options):
        public, private = generate_keys()
        self.stdout.write(f"HOTLINE_VAPID_PUBLIC_KEY={public}\n")
        self.stdout.write(f"HOTLINE_VAPID_PRIVATE_KEY={private}\n")
