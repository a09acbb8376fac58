"""Publishing a project's scorecards: on, on one basis, or off at once."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction

from annotator.errors import ValidationError
from annotator.models import ProfileBasis, Project, ScorecardPublication


@transaction.atomic
def scorecards_publish(*, project: Project, basis: str, user: User | None) -> ScorecardPublication:
    """Publish (or re-publish on another basis) the project's scorecards at their public
    address. They show what the stored profiles on `basis` hold, as each recompute leaves them."""
    if basis not in ProfileBasis.values:
        raise ValidationError(
            {"basis": [f"Unknown basis {basis!r}; use one of {', '.join(ProfileBasis.values)}."]}
        )
    publication, _ = ScorecardPublication.objects.update_or_create(
        project=project, defaults={"basis": basis, "published_by": user}
    )
    return publication


def scorecards_unpublish(*, project: Project) -> None:
    """Take the public scorecards down: their pages answer 404 from the next request on."""
    ScorecardPublication.objects.filter(project=project).delete()
