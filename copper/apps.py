from django.apps import AppConfig


class CopperConfig(AppConfig):
    name = "copper"
    verbose_name = "Copper"
