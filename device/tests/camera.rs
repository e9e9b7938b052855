//! The camera path on a machine without the camera asked for: a clear error, never a panic.
#![cfg(feature = "camera")]

use gatehouse_device::frames::{list_cameras, CameraConfig, CameraSource};

#[test]
fn opening_a_camera_that_is_not_there_is_a_clear_error() {
    let config = CameraConfig {
        index: 4_000,
        ..CameraConfig::default()
    };
    let err = CameraSource::open(config).expect_err("there is no camera 4000");
    assert!(
        ["no_camera", "camera_index_out_of_range", "camera_failed"].contains(&err.code()),
        "unexpected error {err}"
    );
    assert!(!err.to_string().is_empty());
}

#[test]
fn listing_cameras_never_panics() {
    // Empty on a build machine, the attached cameras on a gate; an error is an answer too.
    match list_cameras() {
        Ok(cameras) => assert!(cameras.len() < 1_000),
        Err(err) => assert_eq!(err.code(), "camera_failed"),
    }
}
