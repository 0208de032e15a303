"""AB2D's ExplanationOfBenefit profiles (STU3 v1, R4 v2, R4 v3) as msgspec Structs.

These are the fast form of `specs/ab2d/schemas/eob-*.json` and `fhir-types.json`, which stay the
spec: a line that decodes into these types is valid under its schema, and a line that does not is
handed to the schema (and the rules) for its findings (validators/fastpath.py). So every type here
is *at least as strict* as its schema: where msgspec cannot say a constraint (`contains`,
`maxProperties`, `if/then`, `not required`), `__post_init__` checks it, and anything unusual that
the schema allows but these types refuse only costs the slower path. tests/test_ab2d_validate.py
compares both paths on mutated samples.

Field names are the JSON member names; absent members are UNSET (never None: FHIR JSON has no null).
"""
import re
from types import SimpleNamespace
from typing import Annotated, Any, Literal, Union

import msgspec
from msgspec import UNSET, Meta, UnsetType
from msgspec.structs import astuple


class Element(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True, kw_only=True):
    """An element of the allowed subset: an unknown member is refused (`outsideSubset`, AB2D-EOB-2).

    `get` and `[]` let the rules' expressions (rules-*.yaml) read a Struct like the dict the
    schema path gives them."""

    def get(self, key: str, default: Any = None) -> Any:
        value = getattr(self, key, UNSET)
        return default if value is UNSET else value

    def __getitem__(self, key: str) -> Any:
        value = getattr(self, key, UNSET)
        if value is UNSET or not isinstance(key, str):
            raise KeyError(key)
        return value

# --- primitives (fhir-types.json: FHIR's own regexes, searched like JSON Schema's `pattern`) -------------

Date = Annotated[str, Meta(pattern=r"^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1]))?)?$")]
DateTime = Annotated[str, Meta(pattern=r"^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00)))?)?)?$")]
Instant = Annotated[str, Meta(pattern=r"^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))$")]
PositiveInt = Annotated[int, Meta(ge=1)]
Number = Union[int, float]  # JSON Schema "number"; msgspec refuses bool, NaN and out-of-range numbers

# Extension.patternProperties `^value[A-Z][A-Za-z]*$`: true. The value[x] names of FHIR STU3 and R4; any content.
VALUE_NAMES = (
    "valueBase64Binary", "valueBoolean", "valueCanonical", "valueCode", "valueDate", "valueDateTime",
    "valueDecimal", "valueId", "valueInstant", "valueInteger", "valueMarkdown", "valueOid", "valuePositiveInt",
    "valueString", "valueTime", "valueUnsignedInt", "valueUri", "valueUrl", "valueUuid", "valueAddress",
    "valueAge", "valueAnnotation", "valueAttachment", "valueCodeableConcept", "valueCoding", "valueContactPoint",
    "valueCount", "valueDistance", "valueDuration", "valueHumanName", "valueIdentifier", "valueMoney",
    "valuePeriod", "valueQuantity", "valueRange", "valueRatio", "valueReference", "valueSampledData",
    "valueSignature", "valueTiming", "valueMeta", "valueContactDetail", "valueContributor",
    "valueDataRequirement", "valueExpression", "valueParameterDefinition", "valueRelatedArtifact",
    "valueTriggerDefinition", "valueUsageContext", "valueDosage",
)


def _extension_type(name: str, Uri: Any, nested: str, urls: tuple[str, ...] | None = None) -> type:
    """fhir-types.json#/$defs/Extension: url, nested extensions, value[x], at most 3 members
    (`maxProperties`). `urls`: the enum some kinds put on url (AB2D-EOB-8). `nested` names the
    module-level alias of the extensions list: an extension nests extensions, resolved at first decode."""
    url_type: Any = Literal[urls] if urls else Uri  # type: ignore[valid-type]
    fields: list[tuple] = [("url", url_type), ("extension", f"{nested} | UnsetType", UNSET)]
    fields += [(value, Any, UNSET) for value in VALUE_NAMES]  # typed Any: duplicates inside still count
    members = 2 + len(VALUE_NAMES)

    def __post_init__(self) -> None:
        if members - astuple(self).count(UNSET) > 3:  # C-level count: this runs for every extension
            raise ValueError("an extension has at most 3 members")

    return msgspec.defstruct(name, fields, bases=(Element,), namespace={"__post_init__": __post_init__},
                             module=__name__, forbid_unknown_fields=True, omit_defaults=True, kw_only=True)


EobId = Annotated[str, Meta(pattern=r"^(carrier|dme|hha|hospice|inpatient|outpatient|snf)-")]  # AB2D-EOB-4
Status = Literal["active", "cancelled"]  # AB2D-EOB-7

MBI_URL = "http://hl7.org/fhir/StructureDefinition/elementdefinition-identifier"
MBI_SYSTEM = "http://hl7.org/fhir/sid/us-mbi"
CURRENCY_URL = "https://bluebutton.cms.gov/resources/codesystem/identifier-currency"
CLAIM_ID_SYSTEMS = ("https://bluebutton.cms.gov/resources/variables/clm_id",
                    "https://bluebutton.cms.gov/resources/identifier/claim-group")
EOB_TYPE_SYSTEM = "https://bluebutton.cms.gov/resources/codesystem/eob-type"
EOB_TYPES = ("CARRIER", "DME", "HHA", "HOSPICE", "INPATIENT", "OUTPATIENT", "SNF")
DRG_SYSTEM = "https://bluebutton.cms.gov/resources/variables/clm_drg_cd"


def _is_string(value: Any) -> bool:
    return isinstance(value, str)


def check_mbi(extensions: Any) -> None:
    """fhir-types.json#/$defs/MbiExtension (AB2D-EOB-9) on each top-level extension."""
    if extensions is UNSET:
        return
    for ext in extensions:
        if ext.url != MBI_URL:
            continue
        ident = ext.valueIdentifier
        if not isinstance(ident, dict) or ident.get("system") != MBI_SYSTEM:
            raise ValueError("MBI extension without an us-mbi valueIdentifier")
        value, currency = ident.get("value"), ident.get("extension")
        if not (_is_string(value) and any(not c.isspace() for c in value)) or not isinstance(currency, list):
            raise ValueError("MBI extension without a value or a currency")
        if not any(isinstance(c, dict) and c.get("url") == CURRENCY_URL and isinstance(c.get("valueCoding"), dict)
                   and c["valueCoding"].get("code") in ("current", "historic") for c in currency):
            raise ValueError("MBI extension without a current/historic identifier-currency")


def check_blue_button(eob: Any) -> None:
    """identifiers (AB2D-EOB-5) and claimType (AB2D-EOB-6) `contains` of v1 and v2."""
    systems = {i.system for i in eob.identifier}
    if not systems.issuperset(CLAIM_ID_SYSTEMS):
        raise ValueError("identifier lacks clm_id or claim-group")
    coding = eob.type.coding
    if coding is UNSET or len(coding) < 3 or not any(
            c.system == EOB_TYPE_SYSTEM and c.code in EOB_TYPES for c in coding):
        raise ValueError("type.coding lacks an eob-type claim type")


R4_TOP_EXTENSIONS = ("https://bluebutton.cms.gov/resources/variables/nch_near_line_rec_ident_cd", MBI_URL)
R4_ITEM_EXTENSIONS = ("https://bluebutton.cms.gov/resources/variables/carr_line_ansthsa_unit_cnt",
                      "https://bluebutton.cms.gov/resources/variables/dmerc_line_prcng_state_cd",
                      "https://bluebutton.cms.gov/resources/variables/dmerc_line_supplr_type_cd")


def _profiles(tag: str, Uri: Any, String: Any, Code: Any) -> SimpleNamespace:
    """The three profiles, with the given types for FHIR's uri, string and code."""
    Extension = _extension_type("Extension" + tag, Uri, "Extensions" + tag)
    Extensions = Annotated[list[Extension], Meta(min_length=1)]  # fhir-types.json#/$defs/extensions
    globals()["Extensions" + tag] = Extensions


    class Coding(Element, kw_only=True):
        extension: Extensions | UnsetType = UNSET
        system: Uri | UnsetType = UNSET
        version: String | UnsetType = UNSET
        code: Code | UnsetType = UNSET
        display: String | UnsetType = UNSET
        userSelected: bool | UnsetType = UNSET


    class CodeableConcept(Element, kw_only=True):
        extension: Extensions | UnsetType = UNSET
        coding: Annotated[list[Coding], Meta(min_length=1)] | UnsetType = UNSET
        text: String | UnsetType = UNSET


    class Period(Element, kw_only=True):
        extension: Extensions | UnsetType = UNSET
        start: DateTime | UnsetType = UNSET
        end: DateTime | UnsetType = UNSET


    class Identifier(Element, kw_only=True):
        extension: Extensions | UnsetType = UNSET
        use: Literal["usual", "official", "temp", "secondary", "old"] | UnsetType = UNSET
        type: CodeableConcept | UnsetType = UNSET
        system: Uri | UnsetType = UNSET
        value: String | UnsetType = UNSET
        period: Period | UnsetType = UNSET


    class Reference(Element, kw_only=True):
        extension: Extensions | UnsetType = UNSET
        reference: String | UnsetType = UNSET
        identifier: Identifier | UnsetType = UNSET
        display: String | UnsetType = UNSET


    class Quantity(Element, kw_only=True):
        extension: Extensions | UnsetType = UNSET
        value: Number | UnsetType = UNSET
        comparator: Literal["<", "<=", ">=", ">"] | UnsetType = UNSET
        unit: String | UnsetType = UNSET
        system: Uri | UnsetType = UNSET
        code: Code | UnsetType = UNSET


    class Address(Element, kw_only=True):
        extension: Extensions | UnsetType = UNSET
        line: list[str] | UnsetType = UNSET
        city: str | UnsetType = UNSET
        district: str | UnsetType = UNSET
        state: str | UnsetType = UNSET
        postalCode: str | UnsetType = UNSET
        country: str | UnsetType = UNSET


    class MetaElement(Element, kw_only=True):
        extension: Extensions | UnsetType = UNSET
        versionId: str | UnsetType = UNSET
        lastUpdated: Instant | UnsetType = UNSET
        profile: list[Uri] | UnsetType = UNSET
        tag: list[Coding] | UnsetType = UNSET
        security: list[Coding] | UnsetType = UNSET


    class BlueButtonIdentifier(Identifier, kw_only=True):
        """fhir-types.json#/$defs/identifiers items: an Identifier with system and value."""

        system: Uri
        value: String


    class PatientReference(Element, kw_only=True):
        """fhir-types.json#/$defs/patient (AB2D-EOB-3). The schema allows other members here; this type
        does not, so such a (rare) line takes the schema path."""

        reference: Annotated[str, Meta(pattern=r"^Patient/[A-Za-z0-9\-\.]{1,64}$")]


    class Narrative(Element, kw_only=True):
        status: Literal["generated", "extensions", "additional", "empty"]
        div: str


    class ServicedItem(Element, kw_only=True):
        """`not: {required: [servicedDate, servicedPeriod]}` of every item (at most one serviced[x])."""

        def __post_init__(self) -> None:
            if self.servicedDate is not UNSET and self.servicedPeriod is not UNSET:
                raise ValueError("servicedDate and servicedPeriod together")


    # --- STU3 (eob-stu3.json) ------------------------------------------------------------------------------

    class CareTeam(Element, kw_only=True):
        sequence: PositiveInt
        provider: Reference
        extension: Extensions | UnsetType = UNSET
        responsible: bool | UnsetType = UNSET
        role: CodeableConcept | UnsetType = UNSET
        qualification: CodeableConcept | UnsetType = UNSET


    class DiagnosisSTU3(Element, kw_only=True):
        extension: Extensions | UnsetType = UNSET
        sequence: PositiveInt | UnsetType = UNSET  # optional: BFD's DRG diagnoses (AB2D-DEV-2, a warning)
        diagnosisCodeableConcept: CodeableConcept | UnsetType = UNSET
        diagnosisReference: Reference | UnsetType = UNSET
        type: list[CodeableConcept] | UnsetType = UNSET
        packageCode: CodeableConcept | UnsetType = UNSET


    class ProcedureSTU3(Element, kw_only=True):
        sequence: PositiveInt
        extension: Extensions | UnsetType = UNSET
        date: DateTime | UnsetType = UNSET
        procedureCodeableConcept: CodeableConcept | UnsetType = UNSET
        procedureReference: Reference | UnsetType = UNSET


    class ItemSTU3(ServicedItem, kw_only=True):
        sequence: PositiveInt
        extension: Extensions | UnsetType = UNSET
        careTeamLinkId: list[PositiveInt] | UnsetType = UNSET
        diagnosisLinkId: list[PositiveInt] | UnsetType = UNSET
        procedureLinkId: list[PositiveInt] | UnsetType = UNSET
        service: CodeableConcept | UnsetType = UNSET
        servicedDate: Date | UnsetType = UNSET
        servicedPeriod: Period | UnsetType = UNSET
        locationCodeableConcept: CodeableConcept | UnsetType = UNSET
        locationAddress: Address | UnsetType = UNSET
        locationReference: Reference | UnsetType = UNSET
        quantity: Quantity | UnsetType = UNSET




    Identifiers = Annotated[list[BlueButtonIdentifier], Meta(min_length=2, max_length=2)]


    class STU3(Element, kw_only=True):
        """One line of an AB2D v1 export (eob-stu3.json)."""

        resourceType: Literal["ExplanationOfBenefit"]
        id: EobId
        identifier: Identifiers
        type: CodeableConcept
        patient: PatientReference
        diagnosis: Annotated[list[DiagnosisSTU3], Meta(min_length=1)]
        item: Annotated[list[ItemSTU3], Meta(min_length=1)]
        meta: MetaElement | UnsetType = UNSET
        extension: list[Extension] | UnsetType = UNSET
        status: Status | UnsetType = UNSET
        billablePeriod: Period | UnsetType = UNSET
        provider: Reference | UnsetType = UNSET
        organization: Reference | UnsetType = UNSET
        facility: Reference | UnsetType = UNSET
        careTeam: list[CareTeam] | UnsetType = UNSET
        procedure: list[ProcedureSTU3] | UnsetType = UNSET
        precedence: Annotated[int, Meta(ge=0)] | UnsetType = UNSET  # AB2D sends 0 (AB2D-EOB-13; >= 1 is AB2D-DEV-1)

        def __post_init__(self) -> None:
            check_blue_button(self)
            check_mbi(self.extension)


    # --- R4 v2 (eob-r4.json) -------------------------------------------------------------------------------

    TopExtensionR4 = _extension_type("TopExtensionR4" + tag, Uri, "Extensions" + tag, R4_TOP_EXTENSIONS)  # AB2D-EOB-8
    ItemExtensionR4 = _extension_type("ItemExtensionR4" + tag, Uri, "Extensions" + tag, R4_ITEM_EXTENSIONS)


    class DrgCode(CodeableConcept, kw_only=True):
        coding: Annotated[list[Coding], Meta(min_length=1)]

        def __post_init__(self) -> None:
            if not any(c.system == DRG_SYSTEM for c in self.coding):
                raise ValueError("supportingInfo.code is not the DRG")


    class DrgSupportingInfo(Element, kw_only=True):
        """AB2D-EOB-14: v2 keeps only the DRG."""

        sequence: PositiveInt
        category: CodeableConcept
        code: DrgCode
        extension: Extensions | UnsetType = UNSET


    class DiagnosisR4(Element, kw_only=True):
        sequence: PositiveInt
        extension: Extensions | UnsetType = UNSET
        diagnosisCodeableConcept: CodeableConcept | UnsetType = UNSET
        diagnosisReference: Reference | UnsetType = UNSET
        type: list[CodeableConcept] | UnsetType = UNSET
        onAdmission: CodeableConcept | UnsetType = UNSET
        packageCode: CodeableConcept | UnsetType = UNSET


    class ProcedureR4(Element, kw_only=True):
        sequence: PositiveInt
        extension: Extensions | UnsetType = UNSET
        type: list[CodeableConcept] | UnsetType = UNSET
        date: DateTime | UnsetType = UNSET
        procedureCodeableConcept: CodeableConcept | UnsetType = UNSET
        procedureReference: Reference | UnsetType = UNSET


    class ItemR4Base(ServicedItem, kw_only=True):
        sequence: PositiveInt
        careTeamSequence: list[PositiveInt] | UnsetType = UNSET
        diagnosisSequence: list[PositiveInt] | UnsetType = UNSET
        procedureSequence: list[PositiveInt] | UnsetType = UNSET
        productOrService: CodeableConcept | UnsetType = UNSET  # optional: AB2D-DEV-5, a warning
        servicedDate: Date | UnsetType = UNSET
        servicedPeriod: Period | UnsetType = UNSET
        locationCodeableConcept: CodeableConcept | UnsetType = UNSET
        locationAddress: Address | UnsetType = UNSET
        locationReference: Reference | UnsetType = UNSET
        quantity: Quantity | UnsetType = UNSET


    class ItemR4(ItemR4Base, kw_only=True):
        extension: list[ItemExtensionR4] | UnsetType = UNSET  # no minItems here (eob-r4.json)


    class R4(Element, kw_only=True):
        """One line of an AB2D v2 export (eob-r4.json)."""

        resourceType: Literal["ExplanationOfBenefit"]
        id: EobId
        identifier: Identifiers
        type: CodeableConcept
        status: Status
        patient: PatientReference
        diagnosis: Annotated[list[DiagnosisR4], Meta(min_length=1)]
        item: Annotated[list[ItemR4], Meta(min_length=1)]
        meta: MetaElement | UnsetType = UNSET
        implicitRules: Uri | UnsetType = UNSET
        language: Code | UnsetType = UNSET
        text: Narrative | UnsetType = UNSET
        extension: list[TopExtensionR4] | UnsetType = UNSET
        subType: CodeableConcept | UnsetType = UNSET
        billablePeriod: Period | UnsetType = UNSET
        provider: Reference | UnsetType = UNSET
        facility: Reference | UnsetType = UNSET
        careTeam: list[CareTeam] | UnsetType = UNSET
        supportingInfo: list[DrgSupportingInfo] | UnsetType = UNSET
        procedure: list[ProcedureR4] | UnsetType = UNSET

        def __post_init__(self) -> None:
            check_blue_button(self)
            check_mbi(self.extension)


    # --- R4 v3 (eob-r4-v3.json) ----------------------------------------------------------------------------

    class SupportingInfoV3(Element, kw_only=True):
        sequence: PositiveInt
        category: CodeableConcept
        extension: Extensions | UnsetType = UNSET
        code: CodeableConcept | UnsetType = UNSET
        timingDate: Date | UnsetType = UNSET
        timingPeriod: Period | UnsetType = UNSET
        valueBoolean: bool | UnsetType = UNSET
        valueString: str | UnsetType = UNSET
        valueQuantity: Quantity | UnsetType = UNSET
        valueReference: Reference | UnsetType = UNSET
        reason: Coding | UnsetType = UNSET


    class Insurance(Element, kw_only=True):
        focal: bool
        coverage: Reference
        extension: Extensions | UnsetType = UNSET
        preAuthRef: list[str] | UnsetType = UNSET


    class ItemV3(ItemR4Base, kw_only=True):
        extension: Extensions | UnsetType = UNSET


    class R4V3(Element, kw_only=True):
        """One line of an AB2D v3 export (eob-r4-v3.json): IDR identifiers, no claim-type id prefix."""

        resourceType: Literal["ExplanationOfBenefit"]
        status: Status
        patient: PatientReference
        diagnosis: Annotated[list[DiagnosisR4], Meta(min_length=1)]
        item: Annotated[list[ItemV3], Meta(min_length=1)]
        id: Annotated[str, Meta(pattern=r"^[A-Za-z0-9\-\.]{1,64}$")] | UnsetType = UNSET
        meta: MetaElement | UnsetType = UNSET
        implicitRules: Uri | UnsetType = UNSET
        language: Code | UnsetType = UNSET
        text: Narrative | UnsetType = UNSET
        contained: list[dict[str, Any]] | UnsetType = UNSET
        extension: list[Extension] | UnsetType = UNSET
        identifier: list[Identifier] | UnsetType = UNSET
        type: CodeableConcept | UnsetType = UNSET
        subType: CodeableConcept | UnsetType = UNSET
        use: Literal["claim", "preauthorization", "predetermination"] | UnsetType = UNSET
        created: DateTime | UnsetType = UNSET
        billablePeriod: Period | UnsetType = UNSET
        provider: Reference | UnsetType = UNSET
        facility: Reference | UnsetType = UNSET
        careTeam: list[CareTeam] | UnsetType = UNSET
        supportingInfo: list[SupportingInfoV3] | UnsetType = UNSET
        procedure: list[ProcedureR4] | UnsetType = UNSET
        outcome: Literal["queued", "complete", "error", "partial"] | UnsetType = UNSET
        insurance: list[Insurance] | UnsetType = UNSET

        def __post_init__(self) -> None:
            if self.contained is not UNSET and not all("resourceType" in c for c in self.contained):
                raise ValueError("a contained resource without resourceType")
            check_mbi(self.extension)

    return SimpleNamespace(STU3=STU3, R4=R4, R4V3=R4V3)


# The profiles exactly as the schemas say: FHIR's uri, string and code patterns on every such string.
STRICT = _profiles("", Annotated[str, Meta(pattern=r"^\S+$")], Annotated[str, Meta(pattern=r"[ \r\n\t\S]+")],
                   Annotated[str, Meta(pattern=r"^[^\s]+(\s[^\s]+)*$")])

# A regex call per string costs more than decoding the whole line, so a *plain* line (see `plain`)
# is decoded with the patterns reduced to what they still say there: non-empty, plus the two
# regexes of PLAIN_BREAKS over the raw line for a space inside a uri or a code.
_NON_EMPTY = Annotated[str, Meta(min_length=1)]
PLAIN = _profiles("Plain", _NON_EMPTY, _NON_EMPTY, _NON_EMPTY)

# In a plain line the only whitespace inside strings is the space: `string` then only needs a
# character; a uri (system, url, profile, implicitRules) has no space; a code (code, language)
# neither starts nor ends with one nor holds two in a row.
# One regex per member name: a literal prefix makes each a fast scan, an alternation would not.
PLAIN_BREAKS = tuple(re.compile(p) for p in (
    rb'system":"[^" ]* ', rb'url":"[^" ]* ', rb'implicitRules":"[^" ]* ', rb'profile":\[[^\]]* ',
    rb'code":"(?: |[^" ]*(?: [^" ]+)*(?: "|  ))', rb'language":"(?: |[^" ]*(?: [^" ]+)*(?: "|  ))'))


def plain(line: bytes) -> bool:
    """ASCII, no escapes, compact (no space around a member's colon, no tab or CR): every JSON
    string of the line is its raw bytes, and the only whitespace in one is the space."""
    return (line.isascii() and b"\\" not in line and b'": ' not in line and b'" :' not in line
            and b"\t" not in line and b"\r" not in line
            and not any(r.search(line) for r in PLAIN_BREAKS))


# The kinds' fast validators, as feed.yaml names them (`fast: ab2d_eob:STU3`).
STU3 = (STRICT.STU3, PLAIN.STU3)
R4 = (STRICT.R4, PLAIN.R4)
R4V3 = (STRICT.R4V3, PLAIN.R4V3)
