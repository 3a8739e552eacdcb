"""authorization.k8s.io/v1 SelfSubjectAccessReview and SelfSubjectRulesReview:
"can I?", answered by the same authorizer that guards every request; and
authentication.k8s.io/v1 SelfSubjectReview: "who am I?"."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..identity import RequestAttributes, UserInfo
from ..registry import ResourceType
from ..strategy import Strategy

if TYPE_CHECKING:
    from ..server import ApiServer

Obj = dict[str, Any]
GROUP = "authorization.k8s.io"


class ReviewStrategy(Strategy):
    """A virtual kind: created, answered, never stored."""

    virtual = True

    def review(self, server: "ApiServer", user: UserInfo, obj: Obj) -> Obj:
        raise NotImplementedError


class SelfSubjectAccessReviewStrategy(ReviewStrategy):
    def review(self, server: "ApiServer", user: UserInfo, obj: Obj) -> Obj:
        spec = obj.get("spec") or {}
        ra = spec.get("resourceAttributes")
        if isinstance(ra, dict):
            attrs = RequestAttributes(ra.get("verb", ""), ra.get("group", ""), ra.get("resource", ""),
                                      ra.get("subresource", ""), ra.get("namespace", ""), ra.get("name", ""))
        else:
            nra = spec.get("nonResourceAttributes") or {}
            attrs = RequestAttributes(nra.get("verb", ""), "", "", resource_request=False, path=nra.get("path", ""))
        decision = server.authorize(user, attrs)
        status: Obj = {"allowed": decision.allowed}
        if decision.allowed:
            status["reason"] = decision.reason
        else:
            status["denied"] = False
        return {**obj, "apiVersion": f"{GROUP}/v1", "kind": "SelfSubjectAccessReview",
                "metadata": {"creationTimestamp": None}, "status": status}


class SelfSubjectRulesReviewStrategy(ReviewStrategy):
    def review(self, server: "ApiServer", user: UserInfo, obj: Obj) -> Obj:
        namespace = (obj.get("spec") or {}).get("namespace", "")
        rules = server.policy().rules_for(user, namespace)
        return {**obj, "apiVersion": f"{GROUP}/v1", "kind": "SelfSubjectRulesReview",
                "metadata": {"creationTimestamp": None},
                "status": {"resourceRules": [r for r in rules if "resources" in r or "apiGroups" in r],
                           "nonResourceRules": [r for r in rules if "nonResourceURLs" in r],
                           "incomplete": False}}


class SelfSubjectReviewStrategy(ReviewStrategy):
    """authentication.k8s.io/v1 SelfSubjectReview: "who am I?" (``kubectl auth whoami``)."""

    def review(self, server: "ApiServer", user: UserInfo, obj: Obj) -> Obj:
        return {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview",
                "metadata": {"creationTimestamp": None},
                "status": {"userInfo": {"username": user.username, "groups": list(user.groups)}}}


def types() -> list[ResourceType]:
    return [
        ResourceType("authentication.k8s.io", "v1", "SelfSubjectReview", "selfsubjectreviews", "", False,
                     SelfSubjectReviewStrategy(), verbs=("create",)),
        ResourceType(GROUP, "v1", "SelfSubjectAccessReview", "selfsubjectaccessreviews", "", False,
                     SelfSubjectAccessReviewStrategy(), verbs=("create",)),
        ResourceType(GROUP, "v1", "SelfSubjectRulesReview", "selfsubjectrulesreviews", "", False,
                     SelfSubjectRulesReviewStrategy(), verbs=("create",)),
    ]
