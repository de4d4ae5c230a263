from django.urls import path

from . import views

app_name = "identity"

urlpatterns = [
    path("otp/", views.otp_setup, name="otp_setup"),
    path("otp/verify/", views.otp_verify, name="otp_verify"),
    path("otp/recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("password/", views.PasswordChange.as_view(), name="password"),
]
