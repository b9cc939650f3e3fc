// Browser tests: a real Chromium drives the Trellis UI served by the real binary.
// Run by scripts/e2e, which starts `trellis serve` and passes its URL in TRELLIS_URL.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { chromium } from "playwright-core";

const BASE = process.env.TRELLIS_URL;
const ADMIN = { email: process.env.TRELLIS_ADMIN_EMAIL, password: process.env.TRELLIS_ADMIN_PASSWORD };
const DEMO_PASSWORD = "trellis-demo-password";
const SHOTS = process.env.E2E_SCREENSHOTS || "target/e2e";
mkdirSync(SHOTS, { recursive: true });

let browser;
before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});
after(async () => { await browser?.close(); });

/**
 * A fresh browser context that fails the test on any console error (CSP violations included),
 * except failed loads of the URLs the test requests expecting them to fail (`expected`).
 */
async function session(t, expected = []) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    const url = m.location()?.url || "";
    if (m.text().startsWith("Failed to load resource") && expected.some((e) => url.endsWith(e))) return;
    errors.push(`${m.text()} (${url})`);
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  t.after(async () => {
    await context.close();
    assert.deepEqual(errors, [], "no console errors or CSP violations");
  });
  return page;
}

async function login(page, email, password) {
  await page.goto(`${BASE}/login`);
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(/\/incidents$/);
}

async function logout(page) {
  await page.getByRole("button", { name: "Log out" }).click();
  await page.waitForURL(/\/login$/);
}

test("admin creates an agent and a customer user; the customer sees only their organisation", async (t) => {
  const page = await session(t, ["/incidents/INC-000001"]);
  await login(page, ADMIN.email, ADMIN.password);
  await page.getByRole("link", { name: "Administration" }).click();
  await page.waitForURL(/\/admin\/users$/);

  await page.getByLabel("E-mail").fill("e2e.agent@provider.example");
  await page.getByLabel("Name").fill("Eve Agent");
  await page.getByLabel("Role").selectOption("agent");
  await page.getByLabel("Initial password").fill("e2e-agent-password");
  await page.getByRole("button", { name: "Create user" }).click();
  await page.getByText("User e2e.agent@provider.example created.").waitFor();

  await page.getByLabel("E-mail").fill("e2e.customer@contoso.example");
  await page.getByLabel("Name").fill("Cleo Customer");
  await page.getByLabel("Role").selectOption("customer");
  await page.getByLabel("Customer (for customer users)").selectOption({ label: "Contoso Logistics" });
  await page.getByLabel("Initial password").fill("e2e-customer-password");
  await page.getByRole("button", { name: "Create user" }).click();
  await page.getByText("User e2e.customer@contoso.example created.").waitFor();
  await page.screenshot({ path: `${SHOTS}/admin-users.png`, fullPage: true });
  await logout(page);

  // The new customer user sees Contoso's incidents and nobody else's.
  await login(page, "e2e.customer@contoso.example", "e2e-customer-password");
  const rows = page.locator("table.list tbody tr");
  assert.ok((await rows.count()) > 0);
  const customers = await page.locator("table.list tbody tr td:nth-child(4)").allTextContents();
  assert.ok(customers.every((c) => c === "Contoso Logistics"), `saw ${customers}`);
  // INC-000001 belongs to Northwind in the demo data: it does not exist for this user.
  const res = await page.goto(`${BASE}/incidents/INC-000001`);
  assert.equal(res.status(), 404);
  await page.getByRole("heading", { name: "Not found" }).waitFor();
});

test("an agent logs an incident, comments, and moves it through its lifecycle", async (t) => {
  const page = await session(t);
  await login(page, "alex.agent@demo.trellis", DEMO_PASSWORD);
  await page.getByRole("link", { name: "New incident" }).first().click();
  await page.getByLabel("Title").fill("Label printer in Rotterdam jams");
  await page.getByLabel("Description").fill("Jams on every third label since the ribbon change.");
  await page.getByLabel("Customer").selectOption({ label: "Contoso Logistics" });
  await page.getByLabel("Team").selectOption({ label: "Service Desk" });
  await page.getByRole("button", { name: "Log incident" }).click();
  await page.waitForURL(/\/incidents\/INC-\d{6}$/);
  await page.getByRole("heading", { name: "Label printer in Rotterdam jams" }).waitFor();

  await page.getByLabel("Add a comment").fill("Replaced the ribbon guide; testing now.");
  await page.getByLabel("Visible to the customer").check();
  await page.getByRole("button", { name: "Add comment" }).click();
  await page.getByText("Replaced the ribbon guide; testing now.").waitFor();

  await page.getByRole("button", { name: "Move to in progress" }).click();
  await page.locator(".recordhead .badge", { hasText: "In progress" }).waitFor();
  // Resolving asks how: the code is required, the notes are kept on the incident.
  await page.locator("select[name=resolution_code]").selectOption({ label: "Fixed" });
  await page.getByLabel("Resolution notes").fill("Ribbon guide replaced.");
  await page.getByRole("button", { name: "Resolve" }).click();
  await page.locator(".recordhead .badge", { hasText: "Resolved" }).waitFor();
  await page.getByText("Ribbon guide replaced.").first().waitFor();
  assert.ok(await page.getByRole("button", { name: "Reopen" }).isVisible());
  await page.getByText("changed the status").first().waitFor();
  await page.screenshot({ path: `${SHOTS}/incident.png`, fullPage: true });

  // Editing with the version check: the saved title shows on the page.
  await page.getByRole("link", { name: "Edit" }).click();
  await page.getByLabel("Title").fill("Label printer in Rotterdam jams (ribbon guide)");
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByRole("heading", { name: "Label printer in Rotterdam jams (ribbon guide)" }).waitFor();
});

test("the incident list filters by status through the URL", async (t) => {
  const page = await session(t);
  await login(page, "morgan.manager@demo.trellis", DEMO_PASSWORD);
  await page.getByLabel("Status").selectOption("closed");
  await page.getByRole("button", { name: "Filter" }).click();
  await page.waitForURL(/status=closed/);
  await page.locator("table.list tbody .badge").first().waitFor();
  const badges = await page.locator("table.list tbody .badge").allTextContents();
  assert.ok(badges.length > 0);
  assert.ok(badges.every((b) => b === "Closed"), `saw ${badges}`);
  await page.screenshot({ path: `${SHOTS}/incidents.png`, fullPage: true });
});

test("a manager sees what a host failure would hit, drawn and listed", async (t) => {
  const page = await session(t);
  await login(page, "morgan.manager@demo.trellis", DEMO_PASSWORD);
  await page.getByRole("link", { name: "CMDB" }).click();
  await page.waitForURL(/\/cis$/);
  await page.getByLabel("Text").fill("host-02");
  await page.getByRole("button", { name: "Filter" }).click();
  await page.getByRole("link", { name: "host-02" }).click();
  await page.getByRole("heading", { name: "host-02" }).waitFor();
  // The drawing has an accessible name and shows the neighbours; the table is its text alternative.
  const drawing = page.getByRole("img", { name: /Configuration relationships of CI-/ });
  await drawing.waitFor();
  assert.ok((await drawing.locator("a").count()) >= 3, "centre and neighbours are drawn");
  const impact = await page.locator("table.list").nth(1).innerText();
  for (const hit of ["db-prod-01", "patient-admin", "Clinical systems hosting", "Transport management"]) {
    assert.ok(impact.includes(hit), `impact lists ${hit}`);
  }
  assert.ok(await page.getByText("Northwind Health").first().isVisible());
  await page.screenshot({ path: `${SHOTS}/ci-impact.png`, fullPage: true });
});

test("a customer sees only the services they receive and lodges a complaint", async (t) => {
  const page = await session(t);
  await login(page, "carlos@contoso.example", DEMO_PASSWORD);
  await page.getByRole("link", { name: "Services" }).click();
  await page.waitForURL(/\/services$/);
  const names = await page.locator("table.list tbody td:nth-child(2)").allTextContents();
  assert.deepEqual(names.sort(), ["Managed e-mail", "Transport management"]);
  await page.getByRole("link", { name: "Complaints" }).click();
  await page.getByRole("link", { name: "Lodge a complaint" }).click();
  await page.getByLabel("What is the complaint about?").fill("Dispatch screen slow every afternoon");
  const option = await page.getByLabel("Service").locator("option", { hasText: "Transport management" }).getAttribute("value");
  await page.getByLabel("Service").selectOption(option);
  await page.getByRole("button", { name: "Lodge complaint" }).click();
  await page.getByRole("heading", { name: "Dispatch screen slow every afternoon" }).waitFor();
  assert.ok(await page.getByText("Received").first().isVisible());
  await page.screenshot({ path: `${SHOTS}/complaint.png`, fullPage: true });
});

test("a manager follows an SLA target down to the supplier contract and back", async (t) => {
  const page = await session(t);
  await login(page, "morgan.manager@demo.trellis", DEMO_PASSWORD);
  await page.getByRole("link", { name: "Agreements" }).click();
  // The contract's notice date is coming up, so it is listed as a reminder.
  const comingUp = page.getByRole("region", { name: "Coming up in the next 90 days" });
  assert.ok((await comingUp.innerText()).includes("last day to give notice"), "notice reminder shown");
  await page.getByRole("link", { name: "Managed e-mail service level agreement" }).first().click();
  await page.getByRole("heading", { name: "Managed e-mail service level agreement" }).waitFor();
  const targets = page.getByRole("table", { name: "Targets" });
  const p1 = targets.locator("tr", { hasText: "P1 resolution time within 4 h" });
  const chain = await p1.innerText();
  assert.ok(chain.includes("(OLA): P1 resolution time within 3 h"), `rests on the OLA: ${chain}`);
  assert.ok(chain.includes("(Contract): P1 resolution time within 2 h"), `and on the contract: ${chain}`);
  await page.screenshot({ path: `${SHOTS}/sla-chain.png`, fullPage: true });
  // From the contract, the SLA that depends on it.
  await p1.getByRole("link", { name: /AGR-/ }).last().click();
  await page.getByRole("heading", { name: "WAN links for the data centre" }).waitFor();
  const supports = await page.getByRole("table", { name: "Targets" }).innerText();
  assert.ok(supports.includes("(SLA): P1 resolution time within 4 h"), `supports the SLA: ${supports}`);
  // The calendar the SLA's P2 target runs on: a holiday, and a measurement.
  await page.goto(`${BASE}/calendars`);
  await page.getByRole("link", { name: "Office hours Berlin" }).click();
  await page.getByRole("heading", { name: "Office hours Berlin" }).waitFor();
  await page.getByRole("table", { name: "Special days" }).getByText("Christmas Day").waitFor();
  await page.getByLabel("From", { exact: true }).fill("2026-11-23T08:00");
  await page.getByLabel("To", { exact: true }).fill("2026-11-24T08:00");
  await page.getByRole("button", { name: "Measure" }).click();
  await page.getByRole("status").filter({ hasText: "10 h of working time" }).waitFor();
});

test("an incident's SLA clocks are shown, each with its explanation", async (t) => {
  const page = await session(t);
  await login(page, "alex.agent@demo.trellis", DEMO_PASSWORD);
  await page.goto(`${BASE}/incidents?q=Leeds`);
  await page.getByRole("link", { name: "E-mail unreachable from the Leeds office" }).click();
  const clocks = page.getByRole("table", { name: "SLA clocks" });
  await clocks.waitFor();
  // The demo outage is P1 on Managed e-mail: the SLA's response and resolution clocks, the
  // network team's OLA, and the carrier's contract, which runs while the ticket waits on it.
  const rows = await clocks.locator("tbody tr").allTextContents();
  assert.ok(rows.some((r) => r.includes("SLA") && r.includes("resolution")), `saw ${rows}`);
  assert.ok(rows.some((r) => r.includes("CONTRACT") && r.includes("Running")), `saw ${rows}`);
  await page.getByText(/^Explain .* resolution/).first().click();
  await page.locator("details[open]").getByText("counted: working time").first().waitFor();
  await page.screenshot({ path: `${SHOTS}/incident-sla.png`, fullPage: true });
});

test("a customer orders from the catalogue, a manager approves, the service desk fulfils it", async (t) => {
  const page = await session(t);
  await login(page, "nina@northwind.example", DEMO_PASSWORD);
  await page.getByRole("link", { name: "Requests" }).click();
  await page.getByRole("link", { name: "Request something" }).click();
  await page.getByRole("link", { name: "New mailbox" }).click();
  await page.getByLabel("Display name").fill("Lena Vogel");
  await page.getByLabel("Mailbox size").selectOption("10 GB");
  await page.getByRole("button", { name: "Submit request" }).click();
  await page.getByRole("heading", { name: "New mailbox" }).waitFor();
  const reference = (await page.locator(".recordhead .ref").innerText()).trim();
  assert.match(reference, /^REQ-\d{6}$/);
  assert.ok(await page.getByText("Awaiting approval").first().isVisible());
  assert.ok((await page.getByRole("table", { name: "Answers" }).innerText()).includes("Lena Vogel"));
  await logout(page);

  await login(page, "morgan.manager@demo.trellis", DEMO_PASSWORD);
  await page.goto(`${BASE}/approvals`);
  await page.getByRole("link", { name: reference }).click();
  await page.getByRole("button", { name: "Approve" }).click();
  await page.getByText("In fulfilment").first().waitFor();
  await logout(page);

  await login(page, "alex.agent@demo.trellis", DEMO_PASSWORD);
  await page.goto(`${BASE}/fulfilment-tasks?mine=&team=`);
  await page.getByRole("link", { name: reference }).first().click();
  const tasks = page.getByRole("table", { name: "Tasks" });
  for (const title of ["Create the mailbox and its archive", "Send the sign-in details to the requester"]) {
    await tasks.getByLabel(`What was done for ${title}`).fill("Done as asked");
    await tasks.locator("tr", { hasText: title }).getByRole("button", { name: "Done" }).click();
    await page.waitForLoadState("networkidle");
  }
  await page.locator(".recordhead").getByText("Fulfilled").waitFor();
  await page.screenshot({ path: `${SHOTS}/service-request.png`, fullPage: true });
});

test("a customer searches the knowledge base from the top bar and reads a public article", async (t) => {
  const page = await session(t);
  await login(page, "nina@northwind.example", DEMO_PASSWORD);
  await page.getByRole("searchbox", { name: "Search" }).fill("phone setting");
  await page.getByRole("searchbox", { name: "Search" }).press("Enter");
  await page.waitForURL(/\/search\?q=/);
  const results = page.getByRole("list", { name: "Results" });
  await results.locator("mark").first().waitFor();
  const text = await results.innerText();
  assert.ok(text.includes("Setting up e-mail on a phone"), `found: ${text}`);
  assert.ok(!text.includes("Restarting the mail relay"), "staff-only articles stay hidden");
  await page.screenshot({ path: `${SHOTS}/search.png`, fullPage: true });
  await results.getByRole("link", { name: /Setting up e-mail on a phone/ }).click();
  await page.getByRole("heading", { name: "Setting up e-mail on a phone" }).waitFor();
  assert.ok(await page.getByText("Exchange account").isVisible());
});

test("an agent works the unassigned queue from the keyboard: tick, take, save the filter", async (t) => {
  const page = await session(t);
  await login(page, "sam.agent@demo.trellis", DEMO_PASSWORD);
  await page.getByRole("navigation", { name: "Queues" }).getByRole("link", { name: "Unassigned" }).click();
  await page.waitForURL(/assignee=none/);
  const rows = page.locator("table.list tbody tr");
  assert.ok((await rows.count()) >= 2, "the demo has unassigned open incidents");
  const first = (await rows.nth(0).locator("td").nth(1).textContent()).trim();
  const second = (await rows.nth(1).locator("td").nth(1).textContent()).trim();

  // j moves down the rows, x ticks the current one.
  await page.keyboard.press("j");
  await page.keyboard.press("x");
  await page.keyboard.press("j");
  await page.keyboard.press("x");
  assert.ok(await rows.nth(1).evaluate((r) => r.classList.contains("kbd-current")));
  assert.ok(await page.getByLabel(`Pick ${first}`).isChecked());
  assert.ok(await page.getByLabel(`Pick ${second}`).isChecked());
  await page.locator("#bulk select[name=assignee]").selectOption("me");
  await page.getByRole("button", { name: "Assign" }).click();
  await page.getByText("2 updated, 0 failed.").waitFor();
  await page.getByRole("link", { name: "Back to the list" }).click();
  await page.waitForURL(/assignee=none/);
  assert.equal(await page.getByRole("link", { name: first, exact: true }).count(), 0, "taken off the unassigned queue");

  // The queue saved under a name comes back marked as the open filter.
  await page.getByLabel("Save this filter as").fill("Unassigned, due first");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await page.locator('.savedbar a[aria-current="true"]', { hasText: "Unassigned, due first" }).waitFor();

  // ? lists the shortcuts; / goes to the list's search box; o opens the current row.
  await page.keyboard.press("?");
  await page.getByRole("dialog", { name: "Keyboard shortcuts" }).waitFor();
  await page.keyboard.press("Escape");
  await page.getByRole("dialog", { name: "Keyboard shortcuts" }).waitFor({ state: "hidden" });
  await page.keyboard.press("/");
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute("name")), "q");
  await page.keyboard.press("Escape");
  await page.getByRole("navigation", { name: "Queues" }).getByRole("link", { name: "My queue" }).click();
  await page.waitForURL(/assignee=me/);
  await page.getByRole("link", { name: first, exact: true }).first().waitFor();
  await page.keyboard.press("j");
  await page.keyboard.press("o");
  await page.waitForURL(/\/incidents\/INC-\d{6}$/);
  await page.screenshot({ path: `${SHOTS}/queue.png`, fullPage: true });
});

test("a manager reads this month's service report for a customer, with its charts", async (t) => {
  const page = await session(t);
  await login(page, "morgan.manager@demo.trellis", DEMO_PASSWORD);
  await page.getByRole("link", { name: "Reports" }).click();
  await page.waitForURL(/\/reports\/service$/);
  const today = new Date().toISOString().slice(0, 10);
  await page.getByLabel("Customer").selectOption({ label: "Northwind Health" });
  await page.getByLabel("From", { exact: true }).fill(`${today.slice(0, 8)}01`);
  await page.getByLabel("To", { exact: true }).fill(today);
  await page.getByRole("button", { name: "Show report" }).click();
  await page.waitForURL(/customer=/);
  await page.getByRole("img", { name: "Incidents logged, resolved and open per period" }).waitFor();
  const logged = Number(await page.locator(".figures div", { hasText: "Incidents logged" }).locator("dd").first().textContent());
  assert.ok(logged > 0, "the demo's Northwind incidents are counted");
  assert.ok((await page.locator("svg.chart rect.bar-logged").count()) >= 1);
  await page.getByRole("link", { name: "Download CSV" }).waitFor();
  await page.screenshot({ path: `${SHOTS}/report.png`, fullPage: true });
});
