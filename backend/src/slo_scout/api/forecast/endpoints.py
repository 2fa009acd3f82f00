"""A journey's SLI bands and anomalies; an SLO's error-budget forecast."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse

from slo_scout.api.deps import NowDep, PrincipalDep, RowId, SessionDep, SettingsDep
from slo_scout.api.forecast.schemas import (
    AnomalyOut,
    BandPoint,
    BudgetOut,
    BurnOut,
    JourneyAnomalies,
    SliBandOut,
    SloForecastOut,
)
from slo_scout.api.journeys.endpoints import IsoTime
from slo_scout.api.problems import Problem
from slo_scout.control.analysis.history import HistoryError, PrometheusHistory
from slo_scout.control.forecast import rules, service
from slo_scout.core.forecast import Burn, sentence
from slo_scout.settings import Settings

router = APIRouter(tags=["forecast"])
MAX_RANGE = timedelta(days=31)


def _aware(name: str, value: datetime | None) -> None:
    if value is not None and value.tzinfo is None:
        raise Problem(400, "Bad Request", f"{name} needs a time zone (e.g. Z)",
                      errors=[{"field": name, "message": "add a time zone"}])


def _sli(band: service.SliBand) -> SliBandOut:
    fitted = band.band
    points = []
    if fitted is not None:
        points = [BandPoint(start=band.times[i], value=band.values[i],
                            expected=fitted.expected[i], lower=fitted.lower[i],
                            upper=fitted.upper[i])
                  for i in range(band.first, len(band.times))]
    return SliBandOut(
        sli=band.sli, status=band.status, steps_with_traffic=band.have, steps_needed=band.need,
        seasonal=fitted.seasonal if fitted else False,
        period_steps=fitted.period_steps if fitted else None,
        seasonal_strength=fitted.seasonal_strength if fitted else None,
        sigma=fitted.sigma if fitted else None, sigmas=fitted.sigmas if fitted else None,
        points=points,
        anomalies=[AnomalyOut(start=band.times[a.index], value=a.value, expected=a.expected,
                              lower=a.lower, upper=a.upper, score=a.score, side=a.side)
                   for a in band.anomalies],
    )


@router.get("/journeys/{journey_id}/anomalies", response_model=JourneyAnomalies,
            summary="A journey's SLI bands over a range and the points outside them")
async def journey_anomalies(
    journey_id: RowId, session: SessionDep, principal: PrincipalDep, now: NowDep,
    settings: SettingsDep,
    start: Annotated[IsoTime | None, Query(description="default: a day before end")] = None,
    end: Annotated[IsoTime | None, Query(
        description="default: the end of the step holding the journey's newest stored "
                    "minute (else now)")] = None,
    step_minutes: Annotated[int, Query(ge=1, le=1440)] = 60,
    history_days: Annotated[int, Query(ge=0, le=90)] = 14,
    source: Annotated[Literal["stored", "prometheus"], Query(
        description="availability from the stored statistics or from the configured "
                    "Prometheus-compatible server (SLO_SCOUT_HISTORY__PROMETHEUS_URL)")] = "stored",
) -> JourneyAnomalies:
    _aware("start", start)
    _aware("end", end)
    if end is None:  # recorded data is shown where it lies, not at the wall clock
        end = await service.newest_end(session, principal, journey_id, step_minutes) or now
    start = start or end - timedelta(days=1)
    if not start < end or end - start > MAX_RANGE:
        raise Problem(400, "Bad Request", f"start must be before end, at most {MAX_RANGE.days} "
                      "days apart", errors=[{"field": "start", "message": "must be before end"}])
    history = _history(settings) if source == "prometheus" else None
    try:
        result = await service.journey_bands(
            session, principal, journey_id, start=start, end=end, step_minutes=step_minutes,
            history_days=history_days, history=history,
        )
    except HistoryError as error:
        raise Problem(502, "Bad Gateway", str(error)) from None
    finally:
        if history is not None:
            await history.close()
    return JourneyAnomalies(
        journey_id=journey_id, start=result.start, end=result.end,
        step_minutes=result.step_minutes, history_start=result.history_start,
        source=result.source, slis=[_sli(s) for s in result.slis],
    )


def _history(settings: Settings) -> PrometheusHistory:
    where = settings.history.prometheus_url
    if where is None:
        raise Problem(422, "Invalid Request", "source=prometheus needs "
                      "SLO_SCOUT_HISTORY__PROMETHEUS_URL", errors=[
                          {"field": "source", "message": "no Prometheus is configured"}])
    token = settings.history.bearer_token
    return PrometheusHistory(where.get_secret_value(),
                             bearer_token=token.get_secret_value() if token else None,
                             timeout_s=settings.history.timeout_seconds)


def _burn(burn: Burn | None) -> BurnOut | None:
    if burn is None:
        return None
    return BurnOut(burn_rate=burn.rate, burn_rate_low=burn.rate_low,
                   burn_rate_high=burn.rate_high, exhausted_at=burn.exhausted_at,
                   earliest=burn.earliest, latest=burn.latest)


@router.get("/slos/{slo_id}/forecast", response_model=SloForecastOut,
            summary="An SLO's error budget: spent, burn rates, when it runs out")
async def slo_forecast(
    slo_id: RowId, session: SessionDep, principal: PrincipalDep, now: NowDep,
    at: Annotated[IsoTime | None, Query(description="the forecast's now (default: now)")] = None,
    step_minutes: Annotated[int, Query(ge=1, le=60)] = 60,
) -> SloForecastOut:
    _aware("at", at)
    result = await service.slo_forecast(session, principal, slo_id, now=at or now,
                                        step_minutes=step_minutes)
    budget = result.budget
    return SloForecastOut(
        slo_id=slo_id, journey_id=result.journey_id, sli_kind=result.sli_kind,
        objective=result.objective_percent, window_days=budget.window_days, now=budget.now,
        step_minutes=result.step_minutes,
        budget=BudgetOut(window_requests=budget.window_requests, bad=budget.bad,
                         allowed_bad=budget.budget, consumed=budget.consumed,
                         remaining=budget.remaining),
        current=_burn(budget.current), expected=_burn(budget.expected),
        expected_status=result.expected_status, summary=sentence(budget),
    )


@router.get("/journeys/{journey_id}/band-rules", response_class=PlainTextResponse,
            summary="Prometheus rules for the journey's availability band (YAML)",
            responses={200: {"content": {"application/yaml": {}}}})
async def journey_band_rules(
    journey_id: RowId, session: SessionDep, principal: PrincipalDep, settings: SettingsDep,
    history_days: Annotated[int, Query(ge=3, le=90)] = 14,
) -> PlainTextResponse:
    text = await rules.journey_band_rules(
        session, principal, journey_id, history_days=history_days,
        configured_family=settings.history.metric_family,
        prometheus_url=settings.history.prometheus_url is not None)
    return PlainTextResponse(text, media_type="application/yaml")
