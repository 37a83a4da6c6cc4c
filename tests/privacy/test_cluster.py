from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from medanon.privacy.cluster import DaskRunner
from medanon.privacy.encode import encode_table
from medanon.privacy.engine import local_runner, partition_table
from medanon.privacy.hierarchy import Hierarchy
from medanon.privacy.models import PrivacyModel, bind_model
from medanon.privacy.publish import publish

from .conftest import ADULT_QI


@pytest.mark.filterwarnings("ignore")
def test_dask_cluster_gives_the_same_classes_as_the_local_run(
        adult: pa.Table, adult_hierarchies: dict[str, Hierarchy]) -> None:
    enc = encode_table(adult, ADULT_QI, "occupation", adult_hierarchies, "error")
    ev = bind_model(PrivacyModel(4, 2), enc.sensitive)
    local = publish(enc, partition_table(enc, ev, 0, local_runner))
    with DaskRunner("local:2", min_records=0, processes=False) as runner:
        assert runner.workers == 2
        remote = publish(enc, partition_table(enc, ev, 0, runner))
        assert runner.shipped >= 8
    assert np.array_equal(local.classes, remote.classes)
    for name in ADULT_QI:
        assert np.array_equal(local.columns[name].values(), remote.columns[name].values())


def test_bad_cluster_addresses_are_configuration_errors(tmp_path: Path) -> None:
    from medanon.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="local:N"):
        DaskRunner("local:many")
