//! Pages render to their end while other servers start in the same process (the way this
//! suite, and an embedding, run several).

use crate::helpers::spawn_app;

#[tokio::test]
async fn pages_finish_while_other_servers_start_in_the_process() {
    let app = spawn_app().await;
    let owner = app.signed_in_owner().await;
    let conversation = app.conversation_of("demo-lead-maria").await;
    let render = async {
        for path in [
            "/conversations".to_owned(),
            format!("/conversations/{conversation}"),
        ]
        .iter()
        .cycle()
        .take(8)
        {
            let page = owner.get(app.url(path)).send().await.unwrap();
            assert_eq!(page.status(), 200, "{path}");
            // A stalled page never ends: the client's timeout fails the read.
            let body = page.text().await.expect("the page ends");
            assert!(body.contains("Maria"), "{path}");
        }
    };
    let start_others = async {
        for _ in 0..3 {
            drop(spawn_app().await);
        }
    };
    tokio::join!(render, start_others);
    // Listing the pages suppresses every resource load in the process while it runs
    // (leptos_server's process-wide flag), so it happens once, before the first server.
    assert_eq!(confab::startup::route_listings(), 1);
}
