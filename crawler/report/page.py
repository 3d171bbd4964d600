"""The report page: plotly charts with plotly.js inlined, so it opens offline, from a mail."""

from __future__ import annotations

import html
from datetime import UTC, datetime

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from crawler.report.data import ReportData

STATUS_COLOURS = {"ok": "#2a9d3f", "failed": "#d62728", "killed": "#ff7f0e", "running": "#999"}


def _div(fig: go.Figure, title: str) -> str:
    fig.update_layout(title=title, height=420, margin={"t": 50, "l": 60, "r": 20, "b": 60})
    return fig.to_html(full_html=False, include_plotlyjs=False, config={"responsive": True})


def articles_per_day(data: ReportData) -> str:
    fig = go.Figure()
    for portal, days in sorted(data.per_day.items()):
        xs = sorted(days)
        fig.add_trace(go.Bar(name=portal, x=xs, y=[days[d] for d in xs]))
    fig.update_layout(barmode="stack", xaxis_title="day (published, else first seen)",
                      yaxis_title="articles")
    return _div(fig, "Articles per day per portal")


def reprint_sources(data: ReportData, top: int = 8) -> str:
    fig = go.Figure()
    for portal, counts in sorted(data.sources.items()):
        names, values = zip(*counts.most_common(top), strict=True) if counts else ((), ())
        fig.add_trace(go.Bar(name=portal, x=list(names), y=list(values)))
    fig.update_layout(barmode="group", yaxis_title="reprinted articles")
    return _div(fig, "Top reprint sources per portal")


def reprint_network(data: ReportData) -> str:
    copiers = sorted({c for c, _ in data.copies})
    originals = sorted({o for _, o in data.copies})
    z, text = [], []
    for copier in copiers:
        z.append([len(data.copies.get((copier, o), [])) for o in originals])
        text.append([
            f"{copier} copies {o}: {len(data.copies.get((copier, o), []))} articles, "
            f"median lag {lag:.1f} h" if (lag := data.median_lag((copier, o))) is not None
            else "" for o in originals])
    fig = go.Figure(go.Heatmap(z=z, x=originals, y=copiers, text=text, hoverinfo="text",
                               colorscale="Blues"))
    fig.update_layout(xaxis_title="first published by", yaxis_title="reprinted by")
    return _div(fig, "Reprint network: who copies whom")


def network_table(data: ReportData) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(c)}</td><td>{html.escape(o)}</td><td>{len(lags)}</td>"
        f"<td>{data.median_lag((c, o)):.1f}</td></tr>"
        for (c, o), lags in sorted(data.copies.items(), key=lambda kv: -len(kv[1])))
    return ("<table><tr><th>reprinted by</th><th>first published by</th><th>articles</th>"
            f"<th>median lag (h)</th></tr>{rows}</table>")


def tags_over_time(data: ReportData) -> str:
    fig = go.Figure()
    for tag, months in data.tags.items():
        xs = sorted(months)
        fig.add_trace(go.Scatter(name=tag, x=xs, y=[months[m] for m in xs], mode="lines+markers"))
    fig.update_layout(xaxis_title="month", yaxis_title="articles")
    return _div(fig, "Industry tags over time")


def crawl_health(data: ReportData) -> str:
    fig = go.Figure()
    for portal in sorted({r[0] for r in data.runs}):
        runs = [r for r in data.runs if r[0] == portal]
        fig.add_trace(go.Scatter(
            name=portal, x=[r[1] for r in runs], y=[r[3] for r in runs], mode="lines+markers",
            marker={"color": [STATUS_COLOURS.get(r[2], "#333") for r in runs], "size": 9},
            text=[f"{r[2]}, {r[4]} errors" for r in runs]))
    fig.update_layout(xaxis_title="run started (UTC)",
                      yaxis_title="new articles (marker: green ok, red failed, orange killed)")
    return _div(fig, "Crawl health per portal")


def render(data: ReportData) -> str:
    built = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    total = sum(sum(c.values()) for c in data.per_day.values())
    sections = [articles_per_day(data), reprint_sources(data), reprint_network(data),
                network_table(data), tags_over_time(data), crawl_health(data)]
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>Portal crawl report</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:auto;padding:1em}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:3px 8px}}</style>
<script>{get_plotlyjs()}</script></head><body>
<h1>Portal crawl report</h1><p>{total} articles, built {built}.</p>
{"".join(f'<section class="chart">{s}</section>' for s in sections)}
</body></html>
"""
