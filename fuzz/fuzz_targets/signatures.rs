//! The webhook signature checks with whatever a caller sends: Meta's
//! `X-Hub-Signature-256` over the raw body, and Twilio's `X-Twilio-Signature` over the URL
//! and the form parameters (decoded by `form_params`, as `routes::webhooks::receive` does).
#![no_main]

use arbitrary::Arbitrary;
use confab::channels::inbound::signature::{
    hub_signature, twilio_signature, verify_hub_signature, verify_twilio_signature,
};
use confab::channels::inbound::twilio::form_params;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    app_secret: String,
    body: Vec<u8>,
    hub_header: Option<String>,
    auth_token: String,
    url: String,
    form: Vec<u8>,
    twilio_header: Option<String>,
}

fuzz_target!(|input: Input| {
    let Input {
        app_secret,
        body,
        hub_header,
        auth_token,
        url,
        form,
        twilio_header,
    } = input;

    // Meta: a header only passes when it is the body's signature (hex in either case).
    if verify_hub_signature(&app_secret, &body, hub_header.as_deref()) {
        assert!(!app_secret.is_empty());
        let header = hub_header.unwrap_or_default();
        assert_eq!(
            header.trim().to_ascii_lowercase(),
            hub_signature(&app_secret, &body)
        );
    }
    // Our own signature passes, except with an empty secret (an unconfigured channel).
    let own = hub_signature(&app_secret, &body);
    assert_eq!(
        verify_hub_signature(&app_secret, &body, Some(&own)),
        !app_secret.is_empty()
    );

    // Twilio: the route refuses a body that is not a UTF-8 form before checking.
    let Ok(params) = form_params(&form) else {
        return;
    };
    let verdict = verify_twilio_signature(&auth_token, &url, &params, twilio_header.as_deref());
    assert!(!verdict || !auth_token.is_empty());
    let own = twilio_signature(&auth_token, &url, &params);
    assert_eq!(
        verify_twilio_signature(&auth_token, &url, &params, Some(&own)),
        !auth_token.is_empty()
    );
    // Twilio sorts the parameters: the order they arrive in does not matter.
    let mut reversed = params.clone();
    reversed.reverse();
    assert_eq!(
        verify_twilio_signature(&auth_token, &url, &reversed, twilio_header.as_deref()),
        verdict
    );
});
