"""factory_boy factories for the organisation. Later apps add theirs beside these."""

from __future__ import annotations

from typing import Any

import factory
from django.utils.text import slugify

from xietong.core.choices import DataScope
from xietong.org.models import BusinessUnit, Role, RolePermission, Team, TeamMembership, User, UserRole

DEFAULT_PASSWORD = "Xt-test-pass-2026"


class BusinessUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BusinessUnit
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"bu{n}")
    name = factory.Sequence(lambda n: f"事业部{n}")


class TeamFactory(factory.django.DjangoModelFactory):
    """Creates a team with its materialised path, as ``team_create`` would."""

    class Meta:
        model = Team

    business_unit = factory.SubFactory(BusinessUnitFactory)
    name = factory.Sequence(lambda n: f"团队{n}")
    team_type = "sales"
    parent = None

    @classmethod
    def _create(cls, model_class: type[Team], *args: Any, **kwargs: Any) -> Team:
        parent = kwargs.get("parent")
        if parent is not None:
            kwargs["business_unit"] = parent.business_unit
        team = model_class.objects.create(*args, **kwargs)
        team.compute_path()
        team.save(update_fields=["path", "depth"])
        return team


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"用户{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    primary_team = None
    business_unit = factory.LazyAttribute(lambda o: o.primary_team.business_unit if o.primary_team else None)
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def membership(self: User, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and self.primary_team_id:
            TeamMembership.objects.get_or_create(user=self, team_id=self.primary_team_id)
        if create:
            self.save()


def make_role(code: str, grants: dict[str, tuple[int, set[str]]], *, name: str | None = None) -> Role:
    """A role with module → (scope, actions) grants."""
    role, _ = Role.objects.get_or_create(code=code, defaults={"name": name or code})
    for module, (scope, actions) in grants.items():
        RolePermission.objects.update_or_create(
            role=role,
            module=module,
            defaults={
                "scope": scope,
                **{
                    f"can_{a}": a in actions
                    for a in ("view", "create", "edit", "delete", "export", "approve", "administer")
                },
            },
        )
    return role


def grant(user: User, role: Role, business_unit: BusinessUnit | None = None) -> UserRole:
    user_role, _ = UserRole.objects.get_or_create(user=user, role=role, business_unit=business_unit)
    user.__dict__.pop("access", None)  # drop the cached access
    return user_role


def manage(user: User, team: Team) -> None:
    TeamMembership.objects.update_or_create(user=user, team=team, defaults={"is_manager": True})
    user.__dict__.pop("access", None)


ALL_ACTIONS = {"view", "create", "edit", "delete", "export", "approve", "administer"}


def admin_role() -> Role:
    """Every action of every registered module over the whole group (like the built-in admin)."""
    from xietong.core import modules

    return make_role(
        "test-admin", {m.code: (DataScope.GROUP, set(m.actions)) for m in modules.all_modules()}, name="测试管理员"
    )


def slug(text: str) -> str:
    return slugify(text) or "x"


# --- files for attachments (collaboration/attachments.py) ------------------------------------


def png_bytes(size: tuple[int, int] = (64, 48), color: str = "#1677ff", **save: Any) -> bytes:
    """A real PNG (or another format with ``format=``), made with Pillow."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, save.pop("format", "PNG"), **save)
    return out.getvalue()


def pdf_bytes(text: str = "XieTong") -> bytes:
    """A small but valid one-page PDF."""
    stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> Any:
    """An uploaded file as a form or the API receives it (the content type is the client's claim)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type=content_type)
