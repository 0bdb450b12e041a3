from django.apps import AppConfig


class DeductionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "deductions"
    verbose_name = "Deductions (distribution fees, tax forms)"
