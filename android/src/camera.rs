//! The front camera for the liveness step: the NDK Camera2 API (`libcamera2ndk`) streaming
//! `YUV_420_888` frames into an `AImageReader`, converted to the app's RGB frames
//! ([`crate::yuv`]) and turned upright by the sensor's orientation. Not mirrored: frames are what
//! the camera sees, as a desktop webcam's are, so the models' left and right mean the same.
//!
//! The CAMERA runtime permission is asked through JNI when the camera is first wanted (the
//! liveness step starts); the camera's thread waits for the answer ([`crate::permission`]); a
//! refusal is `CameraError::PermissionDenied`, which the app turns into its explanation screen
//! (设置 > 应用 > 权限管理).

use std::ffi::{c_char, c_int, c_void, CStr};
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use android_activity::AndroidApp;
use app::platform::camera::{Camera, CameraError, Frame};
use jni::objects::{JObject, JValue};
use jni::{jni_sig, jni_str, JavaVM};
use ndk::media::image_reader::{AcquireResult, ImageFormat, ImageReader};
use ndk_sys as sys;

use crate::permission::{Event, Gate, Todo};
use crate::yuv::{upright, yuv420_to_rgb, Plane};

// ndk-sys declares the Camera2 functions but links only libandroid; they live in camera2ndk.
#[link(name = "camera2ndk")]
extern "C" {}

/// The size asked of the camera: 640x480 is in every Camera2 device's stream configurations,
/// and the liveness contract keeps frames at most 640 px wide.
const WIDTH: i32 = 640;
const HEIGHT: i32 = 480;
/// How long the camera's thread waits for the user to answer the permission dialog.
const PERMISSION_WAIT: Duration = Duration::from_secs(180);

fn vm(app: &AndroidApp) -> JavaVM {
    // SAFETY: android-activity's pointer to the process's JavaVM, valid while `app` lives.
    unsafe { JavaVM::from_raw(app.vm_as_ptr().cast()) }
}

/// `Activity.checkSelfPermission("android.permission.CAMERA") == PERMISSION_GRANTED`.
pub fn camera_granted(app: &AndroidApp) -> bool {
    let activity = app.activity_as_ptr();
    let result = vm(app).attach_current_thread(|env| -> jni::errors::Result<bool> {
        // SAFETY: a global reference to the activity, owned by android-activity; the JObject
        // wrapper does not delete it.
        let activity = unsafe { JObject::from_raw(env, activity.cast()) };
        let name = env.new_string("android.permission.CAMERA")?;
        let r = env
            .call_method(
                &activity,
                jni_str!("checkSelfPermission"),
                jni_sig!("(Ljava/lang/String;)I"),
                &[JValue::Object(&name)],
            )?
            .i()?;
        Ok(r == 0)
    });
    result.unwrap_or_else(|e| {
        log::error!("checkSelfPermission failed: {e}");
        false
    })
}

/// Shows the system's CAMERA permission dialog (`Activity.requestPermissions`), on the Java
/// main thread; the answer is read back by [`camera_granted`] when focus returns.
pub fn request_camera(app: &AndroidApp) {
    let for_main = app.clone();
    app.run_on_java_main_thread(Box::new(move || {
        let activity = for_main.activity_as_ptr();
        let result = vm(&for_main).attach_current_thread(|env| -> jni::errors::Result<()> {
            // SAFETY: as in `camera_granted`.
            let activity = unsafe { JObject::from_raw(env, activity.cast()) };
            let name = env.new_string("android.permission.CAMERA")?;
            let names = env.new_object_array(1, jni_str!("java/lang/String"), &name)?;
            env.call_method(
                &activity,
                jni_str!("requestPermissions"),
                jni_sig!("([Ljava/lang/String;I)V"),
                &[JValue::Object(&names), JValue::Int(1)],
            )?;
            Ok(())
        });
        if let Err(e) = result {
            log::error!("requestPermissions failed: {e}");
        }
    }));
}

/// `Activity.moveTaskToBack(true)`: what the back key does on the root screens (the app stays
/// in memory, with its state, instead of being finished).
pub fn move_task_to_back(app: &AndroidApp) {
    let for_main = app.clone();
    app.run_on_java_main_thread(Box::new(move || {
        let activity = for_main.activity_as_ptr();
        let result = vm(&for_main).attach_current_thread(|env| -> jni::errors::Result<()> {
            // SAFETY: as in `camera_granted`.
            let activity = unsafe { JObject::from_raw(env, activity.cast()) };
            env.call_method(
                &activity,
                jni_str!("moveTaskToBack"),
                jni_sig!("(Z)Z"),
                &[JValue::Bool(true)],
            )?;
            Ok(())
        });
        if let Err(e) = result {
            log::error!("moveTaskToBack failed: {e}");
        }
    }));
}

/// The app's camera on Android: waits for the permission, then opens the front camera.
pub struct AndroidCamera {
    app: AndroidApp,
    gate: Arc<Gate>,
    open: Option<FrontCamera>,
}

impl AndroidCamera {
    /// Called when the liveness step starts: asks for the permission if it is not granted yet.
    pub fn new(app: AndroidApp, gate: Arc<Gate>) -> AndroidCamera {
        let granted = camera_granted(&app);
        if gate.feed(Event::Wanted { granted }, Instant::now()) == Todo::Request {
            request_camera(&app);
        }
        AndroidCamera {
            app,
            gate,
            open: None,
        }
    }
}

impl Camera for AndroidCamera {
    fn next_frame(&mut self) -> Result<Option<Frame>, CameraError> {
        if self.open.is_none() {
            if !self.gate.wait_decided(PERMISSION_WAIT) || !camera_granted(&self.app) {
                return Err(CameraError::PermissionDenied);
            }
            self.open = Some(FrontCamera::open()?);
        }
        match self.open.as_mut() {
            Some(cam) => cam.next_frame().map(Some),
            None => Err(CameraError::Unavailable),
        }
    }
}

unsafe extern "C" fn on_disconnected(context: *mut c_void, _device: *mut sys::ACameraDevice) {
    // SAFETY: `context` is the `AtomicBool` owned by the FrontCamera, which closes the device
    // (and so stops these callbacks) before dropping it.
    unsafe { (*context.cast::<AtomicBool>()).store(true, Ordering::SeqCst) };
}

unsafe extern "C" fn on_error(context: *mut c_void, device: *mut sys::ACameraDevice, _e: c_int) {
    unsafe { on_disconnected(context, device) };
}

fn ok(status: sys::camera_status_t) -> Result<(), CameraError> {
    if status == sys::camera_status_t::ACAMERA_OK {
        Ok(())
    } else {
        log::error!("camera call failed: {}", status.0);
        Err(CameraError::Unavailable)
    }
}

/// An open front camera streaming into an image reader. Dropping it stops and frees everything.
struct FrontCamera {
    manager: *mut sys::ACameraManager,
    device: *mut sys::ACameraDevice,
    container: *mut sys::ACaptureSessionOutputContainer,
    output: *mut sys::ACaptureSessionOutput,
    target: *mut sys::ACameraOutputTarget,
    request: *mut sys::ACaptureRequest,
    session: *mut sys::ACameraCaptureSession,
    reader: Option<ImageReader>,
    lost: Box<AtomicBool>,
    device_callbacks: Box<sys::ACameraDevice_StateCallbacks>,
    session_callbacks: Box<sys::ACameraCaptureSession_stateCallbacks>,
    sensor_orientation: i32,
    started: Instant,
}

// SAFETY: the NDK camera objects and the image reader may be used from any thread; the
// FrontCamera is used by one thread at a time (it moves to the liveness worker with the
// AndroidCamera that owns it).
unsafe impl Send for FrontCamera {}

impl FrontCamera {
    fn open() -> Result<FrontCamera, CameraError> {
        let mut cam = FrontCamera {
            // SAFETY: plain constructor; freed in Drop.
            manager: unsafe { sys::ACameraManager_create() },
            device: ptr::null_mut(),
            container: ptr::null_mut(),
            output: ptr::null_mut(),
            target: ptr::null_mut(),
            request: ptr::null_mut(),
            session: ptr::null_mut(),
            reader: None,
            lost: Box::new(AtomicBool::new(false)),
            device_callbacks: Box::new(sys::ACameraDevice_StateCallbacks {
                context: ptr::null_mut(),
                onDisconnected: Some(on_disconnected),
                onError: Some(on_error),
            }),
            session_callbacks: Box::new(sys::ACameraCaptureSession_stateCallbacks {
                context: ptr::null_mut(),
                onClosed: None,
                onReady: None,
                onActive: None,
            }),
            sensor_orientation: 270,
            started: Instant::now(),
        };
        if cam.manager.is_null() {
            return Err(CameraError::Unavailable);
        }
        cam.device_callbacks.context = ptr::from_ref::<AtomicBool>(&cam.lost).cast_mut().cast();
        // SAFETY: every pointer passed below is either created by the NDK in this function and
        // checked for success, or owned by `cam` (callbacks, reader) and outlives the session.
        unsafe {
            let (id, orientation) = front_camera_id(cam.manager)?;
            cam.sensor_orientation = orientation;
            ok(sys::ACameraManager_openCamera(
                cam.manager,
                id.as_ptr(),
                &mut *cam.device_callbacks,
                &mut cam.device,
            ))?;
            let reader = ImageReader::new(WIDTH, HEIGHT, ImageFormat::YUV_420_888, 3)
                .map_err(|_| CameraError::Unavailable)?;
            let window = reader.window().map_err(|_| CameraError::Unavailable)?;
            let anw = window.ptr().as_ptr();
            cam.reader = Some(reader);
            ok(sys::ACaptureSessionOutputContainer_create(
                &mut cam.container,
            ))?;
            ok(sys::ACaptureSessionOutput_create(anw, &mut cam.output))?;
            ok(sys::ACaptureSessionOutputContainer_add(
                cam.container,
                cam.output,
            ))?;
            ok(sys::ACameraOutputTarget_create(anw, &mut cam.target))?;
            ok(sys::ACameraDevice_createCaptureRequest(
                cam.device,
                sys::ACameraDevice_request_template::TEMPLATE_PREVIEW,
                &mut cam.request,
            ))?;
            ok(sys::ACaptureRequest_addTarget(cam.request, cam.target))?;
            ok(sys::ACameraDevice_createCaptureSession(
                cam.device,
                cam.container,
                &*cam.session_callbacks,
                &mut cam.session,
            ))?;
            let mut requests = [cam.request];
            ok(sys::ACameraCaptureSession_setRepeatingRequest(
                cam.session,
                ptr::null_mut(),
                1,
                requests.as_mut_ptr(),
                ptr::null_mut(),
            ))?;
        }
        cam.started = Instant::now();
        Ok(cam)
    }

    /// The latest frame, waiting up to two seconds for the first.
    fn next_frame(&mut self) -> Result<Frame, CameraError> {
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            if self.lost.load(Ordering::SeqCst) {
                return Err(CameraError::Unavailable);
            }
            let reader = self.reader.as_ref().ok_or(CameraError::Unavailable)?;
            match reader.acquire_latest_image() {
                Ok(AcquireResult::Image(image)) => return self.convert(&image),
                Ok(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
                Ok(_) => return Err(CameraError::Unavailable),
                Err(e) => {
                    log::error!("AImageReader_acquireLatestImage failed: {e:?}");
                    return Err(CameraError::Unavailable);
                }
            }
        }
    }

    fn convert(&self, image: &ndk::media::image_reader::Image) -> Result<Frame, CameraError> {
        let bad = |_| CameraError::Unavailable;
        let (w, h) = (image.width().map_err(bad)?, image.height().map_err(bad)?);
        let plane = |i: i32| -> Result<Plane<'_>, CameraError> {
            Ok(Plane {
                data: image.plane_data(i).map_err(bad)?,
                row_stride: usize::try_from(image.plane_row_stride(i).map_err(bad)?)
                    .map_err(|_| CameraError::Unavailable)?,
                pixel_stride: usize::try_from(image.plane_pixel_stride(i).map_err(bad)?)
                    .map_err(|_| CameraError::Unavailable)?,
            })
        };
        let (w, h) = (
            u32::try_from(w).map_err(|_| CameraError::Unavailable)?,
            u32::try_from(h).map_err(|_| CameraError::Unavailable)?,
        );
        let rgb = yuv420_to_rgb(w, h, plane(0)?, plane(1)?, plane(2)?).map_err(|e| {
            log::error!("camera frame: {e}");
            CameraError::Unavailable
        })?;
        let (width, height, rgb) = upright(w, h, &rgb, self.sensor_orientation, false);
        Ok(Frame {
            t_ms: self.started.elapsed().as_millis() as u64,
            width,
            height,
            rgb,
        })
    }
}

/// The id and sensor orientation of the first front-facing camera.
///
/// # Safety
/// `manager` must be a live camera manager.
unsafe fn front_camera_id(
    manager: *mut sys::ACameraManager,
) -> Result<(std::ffi::CString, i32), CameraError> {
    let mut list: *mut sys::ACameraIdList = ptr::null_mut();
    ok(unsafe { sys::ACameraManager_getCameraIdList(manager, &mut list) })?;
    if list.is_null() {
        return Err(CameraError::Unavailable);
    }
    let mut found = None;
    // SAFETY: the list is valid until deleteCameraIdList; ids are NUL-terminated strings.
    unsafe {
        let count = usize::try_from((*list).numCameras).unwrap_or(0);
        for i in 0..count {
            let id: *const c_char = *(*list).cameraIds.add(i);
            let mut meta: *mut sys::ACameraMetadata = ptr::null_mut();
            if sys::ACameraManager_getCameraCharacteristics(manager, id, &mut meta)
                != sys::camera_status_t::ACAMERA_OK
            {
                continue;
            }
            let facing = u8_entry(meta, sys::acamera_metadata_tag::ACAMERA_LENS_FACING.0);
            let front = sys::acamera_metadata_enum_acamera_lens_facing::ACAMERA_LENS_FACING_FRONT.0;
            if facing.is_some_and(|f| u32::from(f) == front) {
                let orientation = i32_entry(
                    meta,
                    sys::acamera_metadata_tag::ACAMERA_SENSOR_ORIENTATION.0,
                )
                .unwrap_or(270);
                found = Some((CStr::from_ptr(id).to_owned(), orientation));
            }
            sys::ACameraMetadata_free(meta);
            if found.is_some() {
                break;
            }
        }
        sys::ACameraManager_deleteCameraIdList(list);
    }
    found.ok_or(CameraError::Unavailable)
}

/// # Safety
/// `meta` must be live camera metadata.
unsafe fn u8_entry(meta: *const sys::ACameraMetadata, tag: u32) -> Option<u8> {
    let mut entry: sys::ACameraMetadata_const_entry = unsafe { std::mem::zeroed() };
    let status = unsafe { sys::ACameraMetadata_getConstEntry(meta, tag, &mut entry) };
    // SAFETY: on success `data.u8_` points at `count` values of the tag's type (u8 here).
    (status == sys::camera_status_t::ACAMERA_OK && entry.count > 0)
        .then(|| unsafe { *entry.data.u8_ })
}

/// # Safety
/// `meta` must be live camera metadata.
unsafe fn i32_entry(meta: *const sys::ACameraMetadata, tag: u32) -> Option<i32> {
    let mut entry: sys::ACameraMetadata_const_entry = unsafe { std::mem::zeroed() };
    let status = unsafe { sys::ACameraMetadata_getConstEntry(meta, tag, &mut entry) };
    // SAFETY: as above, with i32 values.
    (status == sys::camera_status_t::ACAMERA_OK && entry.count > 0)
        .then(|| unsafe { *entry.data.i32_ })
}

impl Drop for FrontCamera {
    fn drop(&mut self) {
        // SAFETY: each pointer was created by the NDK in `open` (or is null and skipped); the
        // session is closed before the device, and both before the reader and the callbacks'
        // context go away.
        unsafe {
            if !self.session.is_null() {
                sys::ACameraCaptureSession_stopRepeating(self.session);
                sys::ACameraCaptureSession_close(self.session);
            }
            if !self.request.is_null() {
                sys::ACaptureRequest_free(self.request);
            }
            if !self.target.is_null() {
                sys::ACameraOutputTarget_free(self.target);
            }
            if !self.output.is_null() {
                sys::ACaptureSessionOutput_free(self.output);
            }
            if !self.container.is_null() {
                sys::ACaptureSessionOutputContainer_free(self.container);
            }
            if !self.device.is_null() {
                sys::ACameraDevice_close(self.device);
            }
            self.reader = None;
            sys::ACameraManager_delete(self.manager);
        }
    }
}
