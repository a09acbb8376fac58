"""Per-source profiles: pure numpy maths over per-article counts, no Django.

See DESIGN.md section 7 and SOURCE-PROFILES.md section 3b. Modules:

* `counts`: `ArticleCounts` (one source's per-article count arrays) and `pool` (all sources as one).
* `bootstrap`: the vectorised cluster bootstrap over articles and nan-aware quantiles.
* `figures`: `source_profile`, `corpus_profile`, `profiles` and the status rules.

A figure M is always the object

    {"value": float | null, "ci95": [low, high] | null, "n": number, "unit": str,
     "status": "ok" | "low_confidence" | "insufficient", "reason": str | null}

`n` is the sample the figure rests on, counted in `unit` ("articles", "claims", "claims with
evidence", "sourced claims", "claims and opinions", "stance spans"). Status: fewer than
`min_articles` (15) articles, an empty denominator ("no claims", "no words", ...) or a figure's
own minimum (50 claims with evidence / 50 claims, 30 sourced claims, 20 stance spans and 5
articles with stance spans per target) gives "insufficient" with value and ci95 null and a reason
such as "insufficient data: 9 articles (needs 15)"; 15 to 29 articles give "low_confidence" with
a reason; 30 and more "ok" with reason null. ci95 is the 95 % percentile interval of a cluster
bootstrap over articles (seeded, so reruns are identical); null with n_boot = 0.

Profile (`source_profile`):

    {"coverage": {"articles": int, "words": number, "annotators": int, "double_annotated": int,
                  "double_annotated_share": float | null, "first_published": "YYYY-MM-DD" | null,
                  "last_published": "YYYY-MM-DD" | null, "status": str, "reason": str | null},
     "metrics": {"claims_per_1k_words": M, "median_claims_per_1k_words": M,
                 "opinions_per_1k_words": M, "median_opinions_per_1k_words": M,
                 "opinion_share": M, "sourced_claim_rate": M, "anonymous_source_share": M,
                 "unsupported_author_claims_per_1k_words": M, "hedged_share": M,
                 "check_worthy_share": M, "disclaimer_presence": M},
     "evidence_mix": {"NAMED_SOURCE" | "ANONYMOUS_SOURCE" | "LINK_DOCUMENT" | "DATA" | "QUOTE"
                      | "NONE": M},
     "stance": {target: {"spans": number, "articles": int,
                         "counts": {"FAVOR": number, "AGAINST": number, "NEUTRAL": number},
                         "net": M,
                         "by_voice": {"author" | "quoted": {"spans", "articles", "counts", "net": M}}}},
     "settings": {"min_articles", "ok_articles", "min_claims", "min_sourced_claims",
                  "min_stance_spans", "min_stance_articles", "n_boot", "seed", "level"}}

Definitions: per-1k figures are 1000 x sum(count) / sum(words) (ratios of sums); the medians are
medians of per-article rates over articles with words; opinion_share = O / (C + O); evidence_mix
and sourced_claim_rate (not NONE) are shares of claims that have an evidence value;
anonymous_source_share = ANONYMOUS_SOURCE / sourced claims; hedged and check-worthy shares are
of all claims (the flags are checkboxes, so unticked means no); disclaimer_presence = share of
articles with a DISCLAIMER span; net stance = (F - A) / (F + A + N) per article, averaged over
the articles that have a stance span for the target (per voice group: over those with one in
that voice). Coverage describes the sample and carries no interval.
"""

from .counts import EVIDENCE_VALUES, STANCE_VALUES, VOICE_GROUPS, ArticleCounts, pool
from .figures import (
    INSUFFICIENT,
    LOW_CONFIDENCE,
    OK,
    Thresholds,
    corpus_profile,
    profiles,
    source_profile,
    status,
)

__all__ = [
    "EVIDENCE_VALUES",
    "INSUFFICIENT",
    "LOW_CONFIDENCE",
    "OK",
    "STANCE_VALUES",
    "VOICE_GROUPS",
    "ArticleCounts",
    "Thresholds",
    "corpus_profile",
    "pool",
    "profiles",
    "source_profile",
    "status",
]
