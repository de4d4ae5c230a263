"""ImportJob joins the exchange (issue 20): state only, the table (renamed exchange_importjob by
portal 0002) and its rows are there already."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("exchange", "0005_lean_write_indexes"),
        ("orgs", "0001_initial"),
        ("portal", "0002_importjob_to_exchange"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ImportJob",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("filename", models.CharField(max_length=200, verbose_name="文件名")),
                        ("path", models.CharField(editable=False, max_length=300)),
                        ("headers", models.JSONField(default=list)),
                        ("mapping", models.JSONField(default=dict, verbose_name="列对应")),
                        ("options", models.JSONField(default=dict, verbose_name="默认值")),
                        ("source", models.CharField(max_length=24, verbose_name="来源标识")),
                        (
                            "state",
                            models.CharField(
                                choices=[
                                    ("uploaded", "已上传"),
                                    ("checking", "试运行中"),
                                    ("checked", "试运行完成"),
                                    ("running", "导入中"),
                                    ("done", "导入完成"),
                                    ("failed", "失败"),
                                ],
                                default="uploaded",
                                max_length=16,
                                verbose_name="状态",
                            ),
                        ),
                        ("total", models.PositiveIntegerField(default=0)),
                        ("done", models.PositiveIntegerField(default=0)),
                        (
                            "created_count",
                            models.PositiveIntegerField(default=0, verbose_name="新建"),
                        ),
                        (
                            "skipped_count",
                            models.PositiveIntegerField(default=0, verbose_name="已存在"),
                        ),
                        (
                            "error_count",
                            models.PositiveIntegerField(default=0, verbose_name="错误"),
                        ),
                        ("errors", models.JSONField(default=list)),
                        ("message", models.TextField(blank=True)),
                        (
                            "created_at",
                            models.DateTimeField(auto_now_add=True, verbose_name="上传时间"),
                        ),
                        (
                            "finished_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="完成时间"),
                        ),
                        (
                            "center",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="orgs.unit",
                                verbose_name="中心",
                            ),
                        ),
                        (
                            "created_by",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="导入人",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "历史工单导入",
                        "verbose_name_plural": "历史工单导入",
                        "ordering": ["-id"],
                    },
                ),
            ],
        ),
    ]
