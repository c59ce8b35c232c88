"""Access per connection starts without taking anything away: the finance and support users of
an existing installation become members of every connection that exists at the upgrade (they
saw all of them before), and each connection's creator becomes its member. Connections created
afterwards are seen by their creator and by the members a superuser adds."""

from django.conf import settings
from django.db import migrations

ROLES = ("finance", "support")


def members_from_roles(apps, schema_editor):
    Connection = apps.get_model("connections", "Connection")
    Membership = apps.get_model("connections", "ConnectionMembership")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    staff = list(
        User.objects.filter(groups__name__in=ROLES, is_superuser=False)
        .distinct()
        .values_list("pk", flat=True)
    )
    rows = []
    for connection in Connection.objects.all().only("pk", "created_by_id"):
        users = set(staff)
        if connection.created_by_id:
            users.add(connection.created_by_id)
        rows += [Membership(connection_id=connection.pk, user_id=user_id) for user_id in users]
    Membership.objects.bulk_create(rows, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("connections", "0003_connection_membership"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(members_from_roles, migrations.RunPython.noop)]
