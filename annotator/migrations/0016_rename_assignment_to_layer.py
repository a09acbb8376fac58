import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    """The code names the concept "layer" throughout; the database keeps its names (the table,
    the span column and the constraints), so this migration changes no schema."""

    dependencies = [
        ("annotator", "0015_jobrun_heartbeat"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelTable(name="assignment", table="annotator_assignment"),
        migrations.RenameModel(old_name="Assignment", new_name="Layer"),
        migrations.AlterField(
            model_name="span",
            name="assignment",
            field=models.ForeignKey(
                db_column="assignment_id",
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="spans",
                to="annotator.layer",
            ),
        ),
        migrations.RenameField(model_name="span", old_name="assignment", new_name="layer"),
        # The index and constraints name the renamed field; the columns they cover are the same.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveConstraint(model_name="span", name="span_unique_assignment_client_uuid"),
                migrations.RemoveConstraint(model_name="span", name="span_unique_assignment_label_offsets"),
                migrations.RemoveIndex(model_name="span", name="span_layer_position"),
                migrations.AddIndex(
                    model_name="span",
                    index=models.Index(fields=["layer", "start", "end", "id"], name="span_layer_position"),
                ),
                migrations.AddConstraint(
                    model_name="span",
                    constraint=models.UniqueConstraint(
                        fields=("layer", "client_uuid"), name="span_unique_assignment_client_uuid"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="span",
                    constraint=models.UniqueConstraint(
                        fields=("layer", "label", "start", "end"), name="span_unique_assignment_label_offsets"
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterField(
            model_name="historicalspan",
            name="assignment",
            field=models.ForeignKey(
                blank=True,
                db_column="assignment_id",
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="annotator.layer",
            ),
        ),
        migrations.RenameField(model_name="historicalspan", old_name="assignment", new_name="layer"),
        migrations.AlterField(
            model_name="layer",
            name="document",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="layers", to="annotator.document"
            ),
        ),
        migrations.AlterField(
            model_name="layer",
            name="user",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="layers", to=settings.AUTH_USER_MODEL
            ),
        ),
    ]
