//! A gate without a working sound device keeps scanning: tones are dropped, nothing panics or
//! blocks. HOME points at an `.asoundrc` whose default PCM is a card that does not exist.

use gatehouse_core::decide::Signal;
use gatehouse_device::sound::Speaker;

#[test]
fn a_gate_without_sound_plays_nothing_and_goes_on() {
    let home = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        home.path().join(".asoundrc"),
        "pcm.!default { type hw card 97 }\nctl.!default { type hw card 97 }\n",
    )
    .expect("write .asoundrc");
    std::env::set_var("HOME", home.path());
    std::env::remove_var("ALSA_CONFIG_PATH");

    let speaker = Speaker::start(1.0);
    for _ in 0..20 {
        speaker.play_signal(Signal::Go);
        speaker.play_signal(Signal::Stop);
    }
    // Queuing never waits for a device, and a full queue drops tones instead of blocking.
    speaker.finish();
    // Scanning goes on: a new speaker can still be started and fed.
    Speaker::start(0.5).play_signal(Signal::Caution);
}
