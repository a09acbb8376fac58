"""Calibration and the annotators overview over the API.

PUT /documents/{id}/calibration/ {"calibration": true} (managers) marks an adjudicated document
of a blind project as a calibration item; false unmarks it. GET /projects/{id}/annotators/
(reviewers and managers) gives each annotator's panel, layers, agreement with the others,
calibration figures with their interval and history, and gate state. GET
/projects/{id}/calibration/ gives the caller their own calibration figures, where the project
shows them (Project.calibration_feedback); never which documents were checks. POST
/projects/{id}/annotators/competence/ (reviewers and managers) fits Dawid-Skene and MACE as a
job (annotator.competence.services); the overview then gives each annotator's figures, and GET
there gives the fit itself: when, over how many documents, and how each consensus basis scores
against gold.
"""

from __future__ import annotations

from typing import cast

from django.contrib.auth.models import User
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotator import access
from annotator.calibration.maths import GateState
from annotator.calibration.selectors import member_calibration, project_annotators
from annotator.calibration.services import document_calibration_set
from annotator.competence.selectors import competence_report_get
from annotator.competence.services import competence_recompute_start
from api.serializers import JobSerializer
from api.views import job_accepted, validated


class CalibrationMarkSerializer(serializers.Serializer):
    calibration = serializers.BooleanField()


class GateSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=[s.value for s in GateState])
    figure = serializers.FloatField(allow_null=True, help_text="Span F1 over the window.")
    n_items = serializers.IntegerField(help_text="Calibration items in the window.")


class CalibrationPointSerializer(serializers.Serializer):
    scored_at = serializers.DateTimeField()
    span_f1 = serializers.FloatField(allow_null=True)
    window_f1 = serializers.FloatField(allow_null=True, help_text="Over the window ending here.")


class CalibrationSerializer(serializers.Serializer):
    n_items = serializers.IntegerField()
    span_f1 = serializers.FloatField(allow_null=True, help_text="Against gold, pooled over every item.")
    interval = serializers.ListField(
        child=serializers.FloatField(), allow_null=True, help_text="95% bootstrap interval of span_f1."
    )
    label_alpha = serializers.FloatField(allow_null=True)
    attribute_agreement = serializers.FloatField(allow_null=True)
    gate = GateSerializer()
    history = CalibrationPointSerializer(many=True)


class MyCalibrationSerializer(serializers.Serializer):
    n_items = serializers.IntegerField()
    window = serializers.IntegerField(help_text="How many of the latest checks the figure reads.")
    window_f1 = serializers.FloatField(allow_null=True, help_text="Your span F1 on the latest checks.")
    gate = serializers.FloatField(allow_null=True, help_text="The project's pass mark, if any.")


class AnnotatorSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    username = serializers.CharField()
    role = serializers.CharField()
    panel = serializers.CharField(source="panel.key", allow_null=True, help_text="The panel's key.")
    panel_set_by = serializers.CharField(allow_null=True)
    panel_set_at = serializers.DateTimeField(allow_null=True)
    layers_open = serializers.IntegerField()
    layers_submitted = serializers.IntegerField()
    layers_outside_panel = serializers.IntegerField(
        help_text="Handed out after a document waited for its panels."
    )
    layers_need_review = serializers.IntegerField(
        help_text="Submitted while, or before, falling below the gate."
    )
    agreement_f1 = serializers.FloatField(
        allow_null=True, help_text="Overlap span F1 with the others, over the report's pairs."
    )
    agreement_pairs = serializers.IntegerField()
    calibration = CalibrationSerializer()
    competence = serializers.DictField(
        child=serializers.FloatField(),
        help_text="Reliability on the span labels by method (dawid_skene, mace), from the last fit.",
    )
    competence_per_label = serializers.DictField(
        child=serializers.FloatField(), help_text="Dawid-Skene: P(says the label | it is the label)."
    )


class CalibrationMarkApi(APIView):
    @extend_schema(request=CalibrationMarkSerializer, responses=CalibrationMarkSerializer)
    def put(self, request: Request, document_id: int) -> Response:
        document = access.access_document(user=request.user, document_id=document_id, roles=access.MANAGERS)
        wanted = validated(CalibrationMarkSerializer, request.data)["calibration"]
        document = document_calibration_set(document=document, calibration=wanted)
        return Response({"calibration": document.calibration})


class AnnotatorListApi(APIView):
    @extend_schema(responses=AnnotatorSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        project = access.access_project(user=request.user, project_id=project_id, roles=access.REVIEWERS)
        return Response(AnnotatorSerializer(project_annotators(project=project), many=True).data)


class BasisAgainstGoldSerializer(serializers.Serializer):
    span_f1 = serializers.FloatField(allow_null=True, help_text="Against gold, pooled over the documents.")
    interval = serializers.ListField(
        child=serializers.FloatField(), allow_null=True, help_text="95% bootstrap interval over documents."
    )


class AgainstGoldSerializer(serializers.Serializer):
    n_documents = serializers.IntegerField(help_text="Adjudicated documents with two or more layers.")
    all = BasisAgainstGoldSerializer(help_text="Every submitted layer.")
    consensus = BasisAgainstGoldSerializer(help_text="The majority consensus.")
    model = BasisAgainstGoldSerializer(help_text="The model consensus (Dawid-Skene).")


class CompetenceSerializer(serializers.Serializer):
    computed_at = serializers.DateTimeField()
    n_documents = serializers.IntegerField(help_text="Documents with two or more layers, fitted on.")
    behind = serializers.BooleanField(help_text="Layers changed since the fit.")
    against_gold = AgainstGoldSerializer(allow_null=True, help_text="Null in a fit made before gold scoring.")


class CompetenceRecomputeApi(APIView):
    @extend_schema(responses={200: CompetenceSerializer, 404: None})
    def get(self, request: Request, project_id: int) -> Response:
        """The last fit: when, over how many documents, and how each basis scores against gold."""
        project = access.access_project(user=request.user, project_id=project_id, roles=access.REVIEWERS)
        report = competence_report_get(project_id=project.pk)
        if report is None:
            raise NotFound("Competence was not estimated yet; POST to estimate it.")
        figures = {
            "computed_at": report.computed_at,
            "n_documents": report.metrics["n_documents"],
            "behind": report.layers_version < project.layers_version,
            "against_gold": report.metrics.get("against_gold"),
        }
        return Response(CompetenceSerializer(figures).data)

    @extend_schema(request=None, responses={202: JobSerializer})
    def post(self, request: Request, project_id: int) -> Response:
        """Fit Dawid-Skene and MACE on the project's span groups, as a job."""
        project = access.access_project(user=request.user, project_id=project_id, roles=access.REVIEWERS)
        return job_accepted(competence_recompute_start(project=project, user=cast(User, request.user)))


class MyCalibrationApi(APIView):
    @extend_schema(responses=MyCalibrationSerializer)
    def get(self, request: Request, project_id: int) -> Response:
        project = access.access_project(user=request.user, project_id=project_id)
        if not project.calibration_feedback:
            raise PermissionDenied("This project does not show calibration figures to annotators.")
        figures = member_calibration(project=project, user_id=cast(int, request.user.pk))
        return Response(
            MyCalibrationSerializer(
                {
                    "n_items": figures.n_items,
                    "window": project.calibration_window,
                    "window_f1": figures.gate.figure,
                    "gate": project.calibration_gate,
                }
            ).data
        )
