"""The setup pages that fix a failure, as data: a failure names its page and field, and the pages
that show failures turn that into a link. Nothing reads a failure's message to find its page.

Adding a page: one `FixPage` member and one row of `FIX_PAGES`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote

from django.urls import NoReverseMatch, reverse

from integrations.core.return_to import with_return


class FixPage(StrEnum):
    """Stored on failed items (`fix_page`), so the values never change."""

    CONNECTION = "connection"
    EXPORT_SETTINGS = "export_settings"
    ACCOUNTS = "accounts"
    CATEGORIES = "categories"
    TAGS = "tags"
    VENDORS = "vendors"
    SYNC = "sync"
    OVERVIEW = "overview"

    @property
    def heading(self) -> str:
        """The page's name as messages say it: "map it on the Categories page"."""
        return FIX_PAGES[self].heading

    @property
    def link_label(self) -> str:
        return FIX_PAGES[self].link_label


@dataclass(frozen=True)
class PageInfo:
    url_name: str
    url_kwarg: str  # the connection's id in the page's address
    heading: str
    link_label: str


FIX_PAGES: dict[FixPage, PageInfo] = {
    FixPage.CONNECTION: PageInfo("connections:detail", "pk", "Connection", "Connection page"),
    FixPage.EXPORT_SETTINGS: PageInfo(
        "connections:export_settings", "pk", "Export settings", "Export settings"
    ),
    FixPage.ACCOUNTS: PageInfo(
        "masterdata:setup_accounts", "connection_id", "Accounts", "Accounts page"
    ),
    FixPage.CATEGORIES: PageInfo(
        "masterdata:setup_categories", "connection_id", "Categories", "Categories page"
    ),
    FixPage.TAGS: PageInfo("masterdata:setup_tags", "connection_id", "Tags", "Tags page"),
    FixPage.VENDORS: PageInfo("masterdata:vendors", "connection_id", "Vendors", "Vendors page"),
    FixPage.SYNC: PageInfo(
        "masterdata:sync", "connection_id", "Master data sync", "Master data sync page"
    ),
    FixPage.OVERVIEW: PageInfo(
        "masterdata:setup_overview", "connection_id", "Setup overview", "Setup overview"
    ),
}
FIX_PAGE_CHOICES = [(page.value, info.link_label) for page, info in FIX_PAGES.items()]


@dataclass(frozen=True)
class FixTarget:
    """Where a person fixes a failure: the page, and the form field on it ("" for the page).

    Field names are the page's form field names (`wallet_NOK`, `account_<Pleo account id>`,
    `default_<segment id>`, `invoice_payment_method`, …).
    """

    page: FixPage
    field: str = ""


@dataclass(frozen=True)
class FixLink:
    label: str
    url: str  # the page at the field, with the way back when one was given
    page_url: str = ""  # the page alone (an e-mail has no page to come back to)


def fix_target_from(page: str, field: str = "") -> FixTarget | None:
    """A stored page and field back into a target; None for a page that is not (or no longer)
    one of ours."""
    try:
        return FixTarget(FixPage(page), field)
    except ValueError:
        return None


def fix_link(
    *, connection_id: int, fix: FixTarget | None, back: str = "", run_number: int | None = None
) -> FixLink | None:
    """The link to the page that fixes a failure, or None when no setting can fix it. It opens
    the page at the field (`#id_<field>`, Django's id of a form field) and, given `back` (the
    failure's page), carries the way back there ("Back to run #<run_number>")."""
    if fix is None:
        return None
    info = FIX_PAGES[fix.page]
    try:
        url = reverse(info.url_name, kwargs={info.url_kwarg: connection_id})
    except NoReverseMatch:
        return None
    page_url = url
    if back:
        url = with_return(url, back=back, run_number=run_number)
    if fix.field:
        url = f"{url}#id_{quote(fix.field)}"
    return FixLink(label=info.link_label, url=url, page_url=page_url)
