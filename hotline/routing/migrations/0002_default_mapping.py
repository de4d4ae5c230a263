from django.db import migrations


def seed(apps, schema_editor):
    from hotline.routing.defaults import default_rows

    CategoryFunction = apps.get_model("routing", "CategoryFunction")
    for code, name, function in default_rows():
        CategoryFunction.objects.get_or_create(
            category_code=code, defaults={"category_name": name, "function": function}
        )


class Migration(migrations.Migration):
    dependencies = [("routing", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
