"""Template helpers of the tiering pages."""

from django import template

from tiering.reasons import job_step_label

register = template.Library()


@register.filter
def job_step(job) -> str:
    """What a recompute is doing, in the reader's language (not the stored `step`)."""
    return job_step_label(job)
