"""The federation every end-to-end test runs against: demo data for 12 cities, the hub,
three compute parties and 12 nodes as real processes on loopback, every node opted in.

Package-scoped: the modules share one federation and so its rounds; each test uses weeks
(and round ids) of its own.
"""

from __future__ import annotations

import httpx
import pytest

from samenbeeld.api.ops.cluster import Cluster
from samenbeeld.platform.catalog import load_catalog
from samenbeeld.platform.demo import init_federation
from samenbeeld.platform.settings import audience_for
from samenbeeld.platform.truth import load_truth, verifiable

CITIES, WEEKS = 12, 6


class Recorder:
    """An httpx client whose every response body is kept (for the leak test)."""

    def __init__(self) -> None:
        self.bodies: list[str] = []
        self.client = httpx.Client(timeout=300, event_hooks={"response": [self._keep]})

    def _keep(self, response: httpx.Response) -> None:
        response.read()
        self.bodies.append(response.text)


@pytest.fixture(scope="package")
def federation(tmp_path_factory):
    """Demo data for 12 cities, the whole federation started, every node opted in."""
    folder = tmp_path_factory.mktemp("federation")
    demo = init_federation(folder, cities=CITIES, weeks=WEEKS, seed=11)
    codes = [code for code, _, _ in demo.cities]
    indicators = [i for i in load_catalog().indicators if verifiable(i)]
    cluster = Cluster(folder, codes)
    cluster.prepare()
    cluster.start()
    recorder = Recorder()
    try:
        for code in codes:
            signer = cluster.signer(code)
            for indicator in indicators:
                url = f"{cluster.services[code].url}/api/v1/opt-ins/{indicator.code}"
                headers = signer.headers(audience_for("node", code))
                assert recorder.client.put(url, headers=headers).status_code in (200, 201, 204)
        yield cluster, load_truth(demo.truth_path), indicators, codes, recorder
    finally:
        recorder.client.close()
        cluster.stop()
