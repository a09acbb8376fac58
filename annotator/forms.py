"""Forms of the admin and the pages. Validation of content belongs to the services."""

from __future__ import annotations

from typing import Any

from django import forms

from annotator.imports.annotations.formats import ANNOTATION_FORMATS
from annotator.imports.annotations.services import AnnotationImportOptions, name_pairs
from annotator.models import LayerStatus, Project, Source


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        return (
            [single(d, initial) for d in data] if isinstance(data, list | tuple) else [single(data, initial)]
        )


class DocumentImportForm(forms.Form):
    project = forms.ModelChoiceField(queryset=Project.objects.order_by("name"))
    source = forms.ModelChoiceField(
        queryset=Source.objects.order_by("name"),
        required=False,
        help_text="For documents that do not name their source (every .txt file).",
    )
    uploads = MultipleFileField(label="Files")


class AnnotationImportForm(forms.Form):
    project = forms.ModelChoiceField(queryset=Project.objects.order_by("name"))
    format = forms.ChoiceField(choices=[(name, name) for name in ANNOTATION_FORMATS])
    upload = forms.FileField(
        label="Export", help_text="The tool's export: a file, or a zip of them (doccano)."
    )
    annotators = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="One per line: the annotator's name in the file = a project member's username.",
    )
    labels = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="One per line: a label of the file = the project's label key. A label named as a key needs none.",
    )
    placeholders = forms.BooleanField(
        required=False,
        help_text="Import unmapped annotators as inactive placeholder accounts instead of refusing.",
    )
    in_progress = forms.BooleanField(
        required=False,
        label="In progress",
        help_text="Import the layers for their annotators to check and submit.",
    )
    source = forms.ModelChoiceField(
        queryset=Source.objects.order_by("name"), required=False, help_text="For documents that name none."
    )

    def _pairs(self, name: str) -> dict[str, str]:
        try:
            return name_pairs(self.cleaned_data[name].splitlines())
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None

    def clean_annotators(self) -> dict[str, str]:
        return self._pairs("annotators")

    def clean_labels(self) -> dict[str, str]:
        return self._pairs("labels")

    def options(self) -> AnnotationImportOptions:
        data = self.cleaned_data
        return AnnotationImportOptions(
            format=data["format"],
            annotators=data["annotators"],
            labels=data["labels"],
            placeholders=data["placeholders"],
            status=LayerStatus.IN_PROGRESS if data["in_progress"] else LayerStatus.SUBMITTED,
        )
