"""Fewer indexes to maintain on every write of an email.

* The reference digest is indexed by Meta (ngo_msg_reference): PostgreSQL no longer has
  the varchar_pattern_ops twin that ``db_index=True`` made, which no query used.
* The partial indexes of 0007 stay in the database but are no longer declared on the
  model (Django warned, models.W037, at every command on MySQL and MariaDB, which have
  no partial indexes). There 0007 made them plain indexes on next_action_at, twins of the
  field's own index: they are dropped.
"""

from typing import Any

from django.db import migrations, models

PARTIAL = ("ngo_msg_unknown_due", "ngo_msg_tracked_due")


def _plain_twins(apps: Any, schema_editor: Any, add: bool) -> None:
    if schema_editor.connection.features.supports_partial_indexes:
        return
    model = apps.get_model("django_govuk_notify_outbox", "EmailMessage")
    for name in PARTIAL:
        index = models.Index(fields=["next_action_at"], name=name)
        if add:
            schema_editor.add_index(model, index)
        else:
            schema_editor.remove_index(model, index)


def drop_plain_twins(apps: Any, schema_editor: Any) -> None:
    _plain_twins(apps, schema_editor, add=False)


def restore_plain_twins(apps: Any, schema_editor: Any) -> None:
    _plain_twins(apps, schema_editor, add=True)


class Migration(migrations.Migration):
    dependencies = [
        ("django_govuk_notify_outbox", "0007_due_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="emailmessage",
            name="sent_reference_digest",
            field=models.CharField(max_length=64),
        ),
        migrations.AddIndex(
            model_name="emailmessage",
            index=models.Index(fields=["sent_reference_digest"], name="ngo_msg_reference"),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="emailmessage", name=name) for name in PARTIAL
            ],
        ),
        # Not atomic: MySQL and MariaDB cannot change a schema inside a transaction.
        migrations.RunPython(drop_plain_twins, restore_plain_twins, atomic=False),
    ]
