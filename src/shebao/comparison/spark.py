"""The Spark session the comparison's national path runs on (engine.py).

Locally it is `local[2]` in this process's JVM (Java 17); on a cluster the same code runs under `spark-submit`
with the master and resources given there (docs/comparison.md, "The national job"). The session is created once per
process and reused: starting a JVM takes seconds.
"""

from __future__ import annotations

import os

_SHUFFLE_PARTITIONS = "8"  # the lists' joins are small on one machine; a cluster sets its own


def session(master: str | None = None):
    """Locally (a master given, or not under spark-submit, which sets SPARK_HOME): local[2] with few shuffle partitions,
    no UI and no progress bars. Under spark-submit the cluster's own settings (--conf) stand: a builder option would
    override them, and 8 shuffle partitions for the national tables would leave each task tens of gigabytes."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("shebao-comparison")
    if master or not os.environ.get("SPARK_HOME"):
        builder = (builder.master(master or os.environ.get("SHEBAO_SPARK_MASTER", "local[2]"))
                   .config("spark.sql.shuffle.partitions", _SHUFFLE_PARTITIONS)
                   .config("spark.ui.enabled", "false")
                   .config("spark.ui.showConsoleProgress", "false"))
    spark = (builder.config("spark.sql.session.timeZone", "UTC")
             .config("spark.sql.ansi.enabled", "true")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    return spark
