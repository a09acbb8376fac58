"""Forms of the admin and the pages. Validation of content belongs to the services."""

from __future__ import annotations

from typing import Any

from django import forms

from annotator.models import Project, Source


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
