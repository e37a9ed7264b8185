"""The work desk's first screen: big buttons for the tasks this person's roles allow.

A committee member opening the work desk on a phone should see "垃圾分类检查" and "待审核积分",
not an empty dashboard and a page search. The buttons are the admin menu items shown to this
user (every app registers its own, with its own permission test), flattened, so a new task
appears here as soon as its app adds a menu item.
"""

from wagtail import hooks
from wagtail.admin.menu import SubmenuMenuItem, admin_menu
from wagtail.admin.ui.components import Component

# Menu entries every staff member has that are not daily tasks.
SKIPPED = {"help", "reports", "settings", "snippets"}


def tasks_for(request) -> list[dict]:
    tasks: list[dict] = []
    for item in admin_menu.menu_items_for_request(request):
        if item.name in SKIPPED:
            continue
        if isinstance(item, SubmenuMenuItem):
            children = item.menu.menu_items_for_request(request)
            tasks.extend({"label": c.label, "url": c.url} for c in children)
        elif item.url:
            tasks.append({"label": item.label, "url": item.url})
    return tasks


class TasksPanel(Component):
    name = "meijia_tasks"
    template_name = "meijia/admin/tasks_panel.html"
    order = 10

    def __init__(self, request):
        self.request = request

    def get_context_data(self, parent_context):
        return {"tasks": tasks_for(self.request)}


@hooks.register("construct_homepage_panels")
def add_tasks_panel(request, panels):
    panels.insert(0, TasksPanel(request))
    # What waits for this reviewer comes first, above the task buttons (its own template shows
    # "通过" and "退回修改" as buttons: wagtailadmin/home/workflow_objects_to_moderate.html).
    for panel in panels:
        if getattr(panel, "name", "") == "workflow_objects_to_moderate":
            panel.order = TasksPanel.order - 5


# Wagtail's own help links lead to its English guide; our people read Chinese.
ENGLISH_HELP = {"editor-guide"}


@hooks.register("construct_help_menu")
def drop_english_help(request, menu_items):
    menu_items[:] = [
        item
        for item in menu_items
        if item.name not in ENGLISH_HELP and not item.name.startswith("whats-new-in-wagtail")
    ]
