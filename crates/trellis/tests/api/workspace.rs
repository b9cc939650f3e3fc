//! The agent's workspace: work queues (mine, my teams, unassigned) in SLA order, saved filters
//! that belong to one person, and bulk changes that report each incident's fate.

use crate::catalogue::refs;
use crate::helpers::{PASSWORD, TestApp, problem};
use crate::sla::{move_to, ok, setting};
use reqwest::StatusCode;
use serde_json::json;

async fn my_id(t: &TestApp, token: &str) -> String {
    ok(t.get(token, "/api/v1/me").await, "me").await["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn queues_show_my_teams_work_due_first_with_clockless_incidents_last() {
    let t = TestApp::spawn().await;
    let s = setting(&t).await;
    let me = my_id(&t, &s.agent).await;
    let r = t.post(&s.manager, &format!("/api/v1/teams/{}/members", s.network), json!({"user_id": me})).await;
    assert!(r.status().is_success(), "member: {}", r.status());
    // Two with SLA clocks (P2: response due in 1 business hour), one with none, one for another team.
    let with_clock = |title: &str, team: &str| {
        json!({"title": title, "customer_id": s.customer, "service_id": s.service,
            "impact": "medium", "urgency": "high", "team_id": team})
    };
    for (title, team) in [("Mail queue stuck", &s.network), ("Spam filter down", &s.network)] {
        ok(t.post(&s.agent, "/api/v1/incidents", with_clock(title, team)).await, title).await;
    }
    ok(
        t.post(&s.agent, "/api/v1/incidents", json!({"title": "Cable tidy", "team_id": s.network})).await,
        "no clock",
    )
    .await;
    ok(t.post(&s.agent, "/api/v1/incidents", with_clock("Desk phone", &s.desk)).await, "desk").await;
    // Answer INC-000001 so its next clock (resolution) falls due after INC-000002's response.
    move_to(&t, &s.agent, "INC-000001", json!({"to": "in_progress"})).await;

    let queue = "/api/v1/incidents?team=mine&status=new,in_progress,pending&sort=queue";
    let all = ok(t.get(&s.agent, queue).await, "queue").await;
    assert_eq!(refs(&all), ["INC-000002", "INC-000001", "INC-000003"]);
    // Due-only sort leaves the clockless incident out; the queue sort keeps it, last.
    let due = ok(t.get(&s.agent, "/api/v1/incidents?team=mine&sort=due_at").await, "due").await;
    assert_eq!(refs(&due), ["INC-000002", "INC-000001"]);
    // Paging through the queue one by one crosses from clocks to no clock without loss.
    let mut seen = Vec::new();
    let mut url = format!("{queue}&limit=1");
    loop {
        let page = ok(t.get(&s.agent, &url).await, "page").await;
        seen.extend(refs(&page));
        match page["next"].as_str() {
            Some(c) => url = format!("{queue}&limit=1&after={c}"),
            None => break,
        }
    }
    assert_eq!(seen, ["INC-000002", "INC-000001", "INC-000003"]);
    // A manager in no team has no "my teams" work.
    assert!(refs(&ok(t.get(&s.manager, queue).await, "manager").await).is_empty());
    let p =
        problem(t.get(&s.agent, "/api/v1/incidents?team=ours").await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(p["errors"][0]["field"], "team");
}

#[tokio::test]
async fn saved_filters_are_checked_like_the_list_and_private_to_their_owner() {
    let t = TestApp::spawn().await;
    let acme = t.customer("Acme").await;
    let alex = t.user("alex@provider.example", "agent", None).await;
    let sam = t.user("sam@provider.example", "agent", None).await;
    let pat = t.user("pat@acme.example", "customer", Some(&acme)).await;
    t.incident(&alex, "Printer jam", Some(&acme)).await;
    let mine = t.incident(&alex, "VPN drops", Some(&acme)).await;
    let alex_id = my_id(&t, &alex).await;
    ok(
        t.patch(
            &alex,
            "/api/v1/incidents/INC-000002",
            mine["version"].as_i64(),
            json!({"assignee_id": alex_id}),
        )
        .await,
        "assign",
    )
    .await;

    let body = json!({"list": "incidents", "name": " Mine, open ",
        "query": "?status=new,in_progress&assignee=me&q=&after=abc&sort=queue"});
    let r = t.post(&alex, "/api/v1/saved-filters", body.clone()).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let f = ok(r, "save").await;
    assert_eq!(f["name"], "Mine, open");
    assert_eq!(f["query"], "status=new%2Cin_progress&assignee=me&sort=queue");
    assert_eq!(f["url"], "/incidents?status=new%2Cin_progress&assignee=me&sort=queue");
    // The filter opens the same list as the parameters it keeps.
    let through = ok(t.get(&alex, f["api_url"].as_str().expect("api_url")).await, "open").await;
    assert_eq!(refs(&through), ["INC-000002"]);

    assert_eq!(
        problem(t.post(&alex, "/api/v1/saved-filters", body).await, StatusCode::CONFLICT).await["code"],
        "saved_filter.name_taken"
    );
    for (list, query, field) in [
        ("incidents", "sort=sideways", "query"),
        ("incidents", "colour=red", "query"),
        ("incidents", "status=lost", "query"),
        ("problems", "rca_overdue=maybe", "query"),
        ("cis", "", "list"),
    ] {
        let r = t
            .post(&alex, "/api/v1/saved-filters", json!({"list": list, "name": "Bad", "query": query}))
            .await;
        let p = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(p["errors"][0]["field"], field, "{list}?{query}: {p}");
    }
    let r =
        t.post(&alex, "/api/v1/saved-filters", json!({"list": "incidents", "name": "  ", "query": ""})).await;
    assert_eq!(problem(r, StatusCode::UNPROCESSABLE_ENTITY).await["errors"][0]["field"], "name");
    let listed = ok(t.get(&alex, "/api/v1/saved-filters").await, "list").await;
    assert_eq!(listed["items"].as_array().expect("items").len(), 1, "bad filters saved nothing");

    // Another agent neither sees nor deletes it.
    let theirs = ok(t.get(&sam, "/api/v1/saved-filters?list=incidents").await, "sam").await;
    assert!(theirs["items"].as_array().expect("items").is_empty());
    let id = f["id"].as_str().expect("id");
    let r = t
        .client
        .delete(t.at(&format!("/api/v1/saved-filters/{id}")))
        .bearer_auth(&sam)
        .send()
        .await
        .expect("x");
    problem(r, StatusCode::NOT_FOUND).await;

    // Customers save filters of what they may read, and not of problems.
    let r =
        t.post(&pat, "/api/v1/saved-filters", json!({"list": "problems", "name": "P", "query": ""})).await;
    problem(r, StatusCode::FORBIDDEN).await;
    let r = t
        .post(
            &pat,
            "/api/v1/saved-filters",
            json!({"list": "incidents", "name": "Ours", "query": "status=new"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);

    let r = t
        .client
        .delete(t.at(&format!("/api/v1/saved-filters/{id}")))
        .bearer_auth(&alex)
        .send()
        .await
        .expect("x");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let listed = ok(t.get(&alex, "/api/v1/saved-filters").await, "list").await;
    assert!(listed["items"].as_array().expect("items").is_empty());
}

#[tokio::test]
async fn a_bulk_change_applies_to_each_incident_and_reports_the_ones_it_could_not_change() {
    let t = TestApp::spawn().await;
    let acme = t.customer("Acme").await;
    let alex = t.user("alex@provider.example", "agent", None).await;
    let auditor = t.user("audrey@provider.example", "auditor", None).await;
    let pat = t.user("pat@acme.example", "customer", Some(&acme)).await;
    let team = ok(t.post(&t.admin_token, "/api/v1/teams", json!({"name": "Network"})).await, "team").await;
    let team = team["id"].as_str().expect("id");
    for title in ["Switch 1 down", "Switch 2 down", "Old ticket"] {
        t.incident(&alex, title, Some(&acme)).await;
    }
    for to in [json!({"to": "resolved", "resolution_code": "fixed"}), json!({"to": "closed"})] {
        ok(t.post(&alex, "/api/v1/incidents/INC-000003/transitions", to).await, "close").await;
    }
    let alex_id = my_id(&t, &alex).await;

    let first_id = ok(t.get(&alex, "/api/v1/incidents/INC-000001").await, "one").await["id"].clone();
    let body = json!({"references": ["INC-000001", "INC-000002", "INC-000001", first_id],
        "assign": {"team_id": team, "assignee_id": alex_id}});
    let r = ok(t.post(&alex, "/api/v1/incidents/bulk", body).await, "assign").await;
    assert_eq!((r["updated"].as_i64(), r["failed"].as_i64()), (Some(2), Some(0)), "repeats count once: {r}");
    for key in ["INC-000001", "INC-000002"] {
        let i = ok(t.get(&alex, &format!("/api/v1/incidents/{key}")).await, key).await;
        assert_eq!(i["team"]["id"], team);
        assert_eq!(i["assignee"]["id"].as_str(), Some(alex_id.as_str()));
    }

    let body = json!({"references": ["INC-000001", "INC-000003", "INC-999999"], "transition": {"to": "in_progress"}});
    let r = ok(t.post(&alex, "/api/v1/incidents/bulk", body).await, "move").await;
    assert_eq!((r["updated"].as_i64(), r["failed"].as_i64()), (Some(1), Some(2)), "{r}");
    let items = r["items"].as_array().expect("items");
    assert_eq!(items[0]["outcome"], "updated");
    assert_eq!(items[1]["problem"]["code"], "incident.invalid_transition");
    assert_eq!(items[2]["problem"]["code"], "not_found");
    let closed = ok(t.get(&alex, "/api/v1/incidents/INC-000003").await, "closed").await;
    assert_eq!(closed["status"], "closed");
    // The journal says what the bulk change did, as for a change made on the page.
    let journal = ok(t.get(&alex, "/api/v1/incidents/INC-000001/journal").await, "journal").await;
    assert!(journal.to_string().contains("in_progress"), "{journal}");

    // A move that could only fail for every incident is refused whole.
    for (transition, field) in [
        (json!({"to": "resolved"}), "transition.resolution_code"),
        (json!({"to": "pending"}), "transition.pending_reason"),
        (json!({"to": "sideways"}), "transition.to"),
    ] {
        let body = json!({"references": ["INC-000001", "INC-000002"], "transition": transition});
        let p =
            problem(t.post(&alex, "/api/v1/incidents/bulk", body).await, StatusCode::UNPROCESSABLE_ENTITY)
                .await;
        assert_eq!(p["errors"][0]["field"], field);
    }

    for (body, what) in [
        (json!({"references": [], "transition": {"to": "in_progress"}}), "no incidents"),
        (json!({"references": ["INC-000001"]}), "no change"),
        (json!({"references": ["INC-000001"], "assign": {}}), "empty assignment"),
        (
            json!({"references": ["INC-000001"], "assign": {"assignee_id": null}, "transition": {"to": "closed"}}),
            "two changes",
        ),
    ] {
        let p =
            problem(t.post(&alex, "/api/v1/incidents/bulk", body).await, StatusCode::UNPROCESSABLE_ENTITY)
                .await;
        assert_eq!(p["code"], "validation.failed", "{what}");
    }
    let many: Vec<String> = (1..=101).map(|n| format!("INC-{n:06}")).collect();
    let body = json!({"references": many, "transition": {"to": "in_progress"}});
    problem(t.post(&alex, "/api/v1/incidents/bulk", body).await, StatusCode::UNPROCESSABLE_ENTITY).await;

    let body = json!({"references": ["INC-000002"], "transition": {"to": "in_progress"}});
    for who in [&auditor, &pat] {
        problem(t.post(who, "/api/v1/incidents/bulk", body.clone()).await, StatusCode::FORBIDDEN).await;
    }
    let two = ok(t.get(&alex, "/api/v1/incidents/INC-000002").await, "two").await;
    assert_eq!(two["status"], "new", "refused bulk changes changed nothing");
}

#[tokio::test]
async fn the_list_page_saves_filters_and_changes_ticked_incidents() {
    let t = TestApp::spawn().await;
    let acme = t.customer("Acme").await;
    let alex = t.user("alex@provider.example", "agent", None).await;
    for title in ["Switch 1 down", "Switch 2 down"] {
        t.incident(&alex, title, Some(&acme)).await;
    }
    let cookie = t.login("alex@provider.example", PASSWORD).await;

    // A bad filter shows the save form again with the reason; nothing is saved.
    let r = t
        .form(
            &cookie,
            "/saved-filters",
            &[("list", "incidents"), ("name", "<b>P1</b>"), ("query", "sort=sideways")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.expect("html");
    assert!(html.contains("sort: must be") && html.contains("value=\"&#60;b&#62;P1&#60;/b&#62;\""), "{html}");
    let r = t
        .form(
            &cookie,
            "/saved-filters",
            &[("list", "incidents"), ("name", "<b>New</b>"), ("query", "status=new")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/incidents?status=new");
    let (_, html) = t.page(&cookie, "/incidents?status=new").await;
    assert!(
        html.contains("aria-current=\"true\">&#60;b&#62;New&#60;/b&#62;</a>"),
        "the open filter is marked: {html}"
    );
    assert!(html.contains("name=\"ref\" value=\"INC-000001\" form=\"bulk\""), "rows can be ticked");

    let r = t
        .form(
            &cookie,
            "/incidents/bulk",
            &[
                ("ref", "INC-000001"),
                ("ref", "INC-000002"),
                ("op", "assign"),
                ("assignee", "me"),
                ("team", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.expect("html").contains("2 updated, 0 failed."));
    let (_, html) = t.page(&cookie, "/incidents?assignee=me").await;
    assert!(html.contains("INC-000001") && html.contains("INC-000002"));
    let r = t.form(&cookie, "/incidents/bulk", &[("op", "move"), ("to", "in_progress")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("html").contains("pick at least one incident"));
}
