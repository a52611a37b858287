"""govdata-ld: government data catalogs as linked data, after the Guiyang Measures.

>>> import govdata_ld
>>> with govdata_ld.open_catalog("memory") as catalog:
...     len(catalog.select("organs"))
0
"""

from importlib.metadata import PackageNotFoundError as _PackageNotFoundError
from importlib.metadata import version as _version

from .assessment import Assessment, AssessmentRow, Scope, assess
from .build import BuildSummary, build
from .catalog import Catalog, StatRow, Stats, open_catalog
from .city_catalogs import Changes
from .dcat_ap import export_dcat_ap, write_dcat_ap
from .dcat_ap_import import DcatApImport, import_dcat_ap
from .codes import (
    AdminLevel,
    BasicDatabase,
    Category,
    CodeEnum,
    DistributionKind,
    Format,
    FundingKind,
    Grade,
    ItemDataType,
    OpenAttribute,
    OrganKind,
    Platform,
    ShareAttribute,
    ShareMode,
    Theme,
    UpdateCycle,
    WorkflowDecision,
    WorkflowState,
)
from .errors import (
    CellProblem,
    ClassificationError,
    ConfigurationError,
    ExportError,
    GovDataError,
    InputError,
    InputLimitError,
    NonConformantError,
    ParameterError,
    QueryError,
    ResourceNotFoundError,
    SheetError,
    StoreError,
    StoreInUseError,
    StoreTimeoutError,
    StoreUnavailableError,
    TruncatedResultError,
    UnsafeInputError,
    WorkflowError,
    WriteConflictError,
    WriteNotAppliedError,
)
from .graphs import WriteSummary
from .identifiers import complete_uscc, is_valid_uscc, uscc_check_character
from .namespaces import GD
from .records import (
    ContactPoint,
    DataItem,
    Distribution,
    Entry,
    InformationSystem,
    LeadAuthority,
    Organ,
    Period,
    ThemeLead,
)
from .results import SelectResult
from .settings import Settings
from .tabular import SheetImport, export_catalog, import_sheets, read_sheets, write_template
from .tabular_rows import SkippedRow
from .validation import ValidationReport, ValidationResult, validate
from .work_items import WorkItem
from .workflow import StepResult, Workflow

try:
    __version__ = _version("govdata-ld")
except _PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0+unknown"

__all__ = [
    "AdminLevel",
    "Assessment",
    "AssessmentRow",
    "BasicDatabase",
    "BuildSummary",
    "Catalog",
    "Category",
    "CellProblem",
    "Changes",
    "ClassificationError",
    "CodeEnum",
    "ConfigurationError",
    "ContactPoint",
    "DataItem",
    "DcatApImport",
    "Distribution",
    "DistributionKind",
    "Entry",
    "ExportError",
    "Format",
    "FundingKind",
    "GD",
    "GovDataError",
    "Grade",
    "InformationSystem",
    "InputError",
    "InputLimitError",
    "ItemDataType",
    "LeadAuthority",
    "NonConformantError",
    "OpenAttribute",
    "Organ",
    "OrganKind",
    "ParameterError",
    "Period",
    "Platform",
    "QueryError",
    "ResourceNotFoundError",
    "Scope",
    "SelectResult",
    "Settings",
    "ShareAttribute",
    "ShareMode",
    "SheetError",
    "SheetImport",
    "SkippedRow",
    "StatRow",
    "Stats",
    "StepResult",
    "StoreError",
    "StoreInUseError",
    "StoreTimeoutError",
    "StoreUnavailableError",
    "Theme",
    "ThemeLead",
    "TruncatedResultError",
    "UnsafeInputError",
    "UpdateCycle",
    "ValidationReport",
    "ValidationResult",
    "WorkItem",
    "Workflow",
    "WorkflowDecision",
    "WorkflowError",
    "WorkflowState",
    "WriteConflictError",
    "WriteNotAppliedError",
    "WriteSummary",
    "assess",
    "build",
    "complete_uscc",
    "export_catalog",
    "export_dcat_ap",
    "import_dcat_ap",
    "import_sheets",
    "is_valid_uscc",
    "open_catalog",
    "read_sheets",
    "uscc_check_character",
    "validate",
    "write_dcat_ap",
    "write_template",
]
