from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo world's orchestration: ``demo_data`` writes it, ``demo_setup`` loads it and creates logins."""

    name = "copperhub.demo"
    label = "demo"
    verbose_name = "Demo"
