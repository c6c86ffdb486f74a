"""The person shape of api.md: case subjects, identity records, partner queries."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    model_validator,
)

from schemas.common import (
    NAME_PATTERN,
    Country,
    DocumentDate,
    Language,
    PartialDate,
    StrictModel,
    Text,
    check_text,
    check_visible_letter,
)

# Length first, inside pydantic-core; limits placed after a Python validator would run
# in Python too, for every name of a bulk import.
NameText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=300),
    AfterValidator(check_text),
    AfterValidator(check_visible_letter),
    Field(json_schema_extra={"pattern": NAME_PATTERN}),
]


class NameObject(StrictModel):
    """A name with its parts; ``full`` is required, the parts help alignment."""

    full: NameText
    given: NameText | None = None
    family: NameText | None = None
    kind: Literal["primary", "alias", "birth"] = "primary"


def _name_form(value: Any) -> str | None:
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict | NameObject):
        return "object"
    return None


#: A name as the API takes it: a string or a :class:`NameObject`. Chosen by the
#: value's own type, so a bad name gets the one error of its form (not one error per
#: form it might have been), and anything else gets a sentence saying what a name is.
Name = Annotated[
    Annotated[NameText, Tag("string")] | Annotated[NameObject, Tag("object")],
    Discriminator(
        _name_form,
        custom_error_type="invalid_name",
        custom_error_message="A name is a string or an object with a 'full' name",
    ),
]
#: The tags of :data:`Name` that validation errors carry in their locations.
NAME_FORMS = frozenset({"string", "object"})


class DateRange(StrictModel):
    """An age assessment: the subject was born between these dates."""

    from_: PartialDate = Field(alias="from")
    to: PartialDate

    @model_validator(mode="after")
    def _ordered(self) -> DateRange:
        if self.from_ > self.to:
            raise ValueError("birth_date_range 'from' is after 'to'")
        return self


class BirthPlace(StrictModel):
    name: Annotated[Text, StringConstraints(min_length=1, max_length=200)] | None = None
    country: Country | None = None


class PersonDocument(StrictModel):
    type: Literal[
        "passport",
        "identity_card",
        "birth_certificate",
        "driving_licence",
        "residence_permit",
        "seaman_book",
        "military_id",
        "travel_document",
        "citizenship_certificate",
        "other",
    ]
    number: Annotated[
        # at least one character that is not a space: the number is stripped first
        str,
        StringConstraints(
            min_length=1, max_length=40, pattern=r"^ *[A-Za-z0-9\-/][A-Za-z0-9 \-/]*$"
        ),
    ]
    issuer: Country | None = None


class Protection(StrictModel):
    """A protection claim; never disclosed to a partner agency (api.md)."""

    asylum: Literal["applied", "granted", "refused", "withdrawn"]
    feared_persecution: Annotated[list[Country], Field(max_length=10, default_factory=list)]


class Person(StrictModel):
    """Everything but ``names`` is optional."""

    names: Annotated[list[Name], Field(min_length=1, max_length=50)]
    birth_date: DocumentDate | None = None
    birth_date_range: DateRange | None = None
    sex: Literal["M", "F", "X"] | None = None
    # Factories, not ``= []``: pydantic deep-copies a mutable default for every instance.
    nationality: Annotated[list[Country], Field(max_length=10, default_factory=list)]
    birth_place: BirthPlace | None = None
    documents: Annotated[list[PersonDocument], Field(max_length=50, default_factory=list)]
    languages: Annotated[list[Language], Field(max_length=20, default_factory=list)]
    protection: Protection | None = None

    def stored(self) -> dict[str, object]:
        """The person as stored and as handed to ``matching.build_profile``."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)
