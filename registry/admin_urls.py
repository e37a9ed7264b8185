"""The register's import and export screens, mounted under Wagtail's admin at /admin/register/.

Included by a ``register_admin_urls`` hook, so Wagtail also requires admin access for each.
"""

from django.urls import path

from registry import views_import

app_name = "registry_admin"

urlpatterns = [
    path("import/", views_import.import_start, name="register_import_start"),
    path("import/<int:pk>/", views_import.import_detail, name="register_import_detail"),
    path(
        "import/<int:pk>/progress/", views_import.import_progress, name="register_import_progress"
    ),
    path("import/<int:pk>/confirm/", views_import.import_confirm, name="register_import_confirm"),
    path("template/", views_import.template_download, name="register_template"),
    path("export/", views_import.export, name="register_export"),
]
