"""Small helpers for driving the widget (its hooks live in an open shadow root; locators pierce it)."""

from __future__ import annotations

from playwright.async_api import Locator, Page, expect

DEEP_ACTIVE = """() => {
  let a = document.activeElement;
  while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
  return a ? {pc: a.dataset.pc || null, topic: a.dataset.topic || null,
              channel: a.dataset.channel || null, tag: a.tagName, checked: a.checked ?? null} : null;
}"""


def cell(widget: Locator, topic: str, channel: str) -> Locator:
    return widget.locator(f'input[data-pc="cell"][data-topic="{topic}"][data-channel="{channel}"]')


async def save_and_wait(widget: Locator) -> None:
    await widget.locator('[data-pc="save"]').click()
    status = widget.locator('[data-pc="status"]')
    await expect(status).to_have_attribute("data-state", "ok", timeout=15_000)
    await expect(status).to_contain_text("Saved")


async def loaded(widget: Locator) -> Locator:
    await expect(widget.locator('[data-pc="save"]')).to_be_visible(timeout=15_000)
    return widget


async def deep_active(page: Page) -> dict | None:
    return await page.evaluate(DEEP_ACTIVE)


async def tab_to(page: Page, match, limit: int = 60) -> dict:
    for _ in range(limit):
        await page.keyboard.press("Tab")
        active = await deep_active(page)
        if active and match(active):
            return active
    raise AssertionError("keyboard focus never reached the wanted control")


def of_type(events: list[dict], kind: str) -> list[dict]:
    return [e for e in events if e["type"] == kind]


def serious_violations(results) -> list[str]:
    """The serious and critical findings of an axe-core run, each with its rule, help text and first targets."""
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
