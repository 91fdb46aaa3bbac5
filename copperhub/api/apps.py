from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "copperhub.api"
    label = "api"
    verbose_name = "REST API"
