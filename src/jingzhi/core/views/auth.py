"""Login and logout pages; failed attempts are throttled by django-axes."""

from __future__ import annotations

from django.contrib.auth import views as auth_views

login = auth_views.LoginView.as_view(template_name="core/login.html", redirect_authenticated_user=True)
logout = auth_views.LogoutView.as_view()
