"""Code quality: ``GET …/runs/<run>/code-quality`` and ``GET …/pipelines/<pipeline>/code-quality``.

The SonarQube analysis the run's build recorded (``services/codequality.py``). SonarQube down answers
503 with ``Retry-After`` here only; the run's other views never read SonarQube.
"""

from __future__ import annotations

from bridge.api.registry import Call, Registry
from bridge.api.schemas.quality import CodeQualityOut
from bridge.services.codequality import CodeQualityService

routes = Registry()
PIPELINE = "/api/v1/projects/<project>/pipelines/<pipeline>"


def _service(call: Call) -> CodeQualityService:
    service = call.container.code_quality
    assert service is not None  # the composition root always builds it
    return service


@routes.route(
    "GET",
    PIPELINE + "/runs/<int:run>/code-quality",
    permission="run.read",
    tag="runs",
    summary="The run's SonarQube analysis: gate and conditions, key measures, top issues with file and line",
    response=CodeQualityOut,
    errors=(404, 502, 503),
)
def run_code_quality(call: Call, project: str, pipeline: str, run: int) -> CodeQualityOut:
    return CodeQualityOut.of(_service(call).for_run(project, pipeline, run))


@routes.route(
    "GET",
    PIPELINE + "/code-quality",
    permission="run.read",
    tag="runs",
    summary="The pipeline's code quality: the analysis of its newest analysed run",
    response=CodeQualityOut,
    errors=(404, 502, 503),
)
def pipeline_code_quality(call: Call, project: str, pipeline: str) -> CodeQualityOut:
    return CodeQualityOut.of(_service(call).for_pipeline(project, pipeline))
