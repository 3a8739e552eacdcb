"""One form per object: the common fields its kind has, and the YAML of the rest."""
from __future__ import annotations

from typing import Any

import yaml
from django import forms

from .fields import PairsField

FIELD_FACTORIES = {
    "replicas": lambda: forms.IntegerField(required=False, help_text="spec.replicas: how many pods you want"),
    "workers": lambda: forms.IntegerField(required=False, min_value=1,
                                          help_text="spec.workers: the gang of pods that train together"),
    "epochs": lambda: forms.IntegerField(required=False, min_value=1, help_text="spec.epochs: how long to train"),
    "image": lambda: forms.CharField(required=False, help_text="the first container's image: a new one rolls out"),
    "labels": lambda: PairsField(required=False, help_text="metadata.labels, as key=value, key=value"),
    "selector": lambda: PairsField(required=False, help_text="the label selector (matchLabels), key=value"),
    "cpu": lambda: forms.CharField(required=False, label="CPU request", help_text="e.g. 100m"),
    "memory": lambda: forms.CharField(required=False, label="Memory request", help_text="e.g. 64Mi"),
}


class ObjectForm(forms.Form):
    yaml = forms.CharField(widget=forms.Textarea(attrs={"rows": 24, "cols": 90, "spellcheck": "false"}),
                           label="YAML", help_text="the whole object; the fields above win where both changed")

    def __init__(self, *args: Any, field_names: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ordered = {name: FIELD_FACTORIES[name]() for name in field_names}
        ordered["yaml"] = self.fields.pop("yaml")
        self.fields = ordered  # type: ignore[assignment]

    def clean_yaml(self) -> dict[str, Any]:
        try:
            value = yaml.safe_load(self.cleaned_data["yaml"])
        except yaml.YAMLError as error:
            raise forms.ValidationError(f"not valid YAML: {error}")
        if not isinstance(value, dict) or not isinstance(value.get("metadata"), dict):
            raise forms.ValidationError("the YAML must be one object with metadata")
        return value


def to_yaml(obj: dict[str, Any]) -> str:
    return yaml.safe_dump(obj, sort_keys=False, default_flow_style=False)
