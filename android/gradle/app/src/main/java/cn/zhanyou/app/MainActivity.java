package cn.zhanyou.app;

import android.os.Bundle;
import android.view.WindowManager;

import com.google.androidgamesdk.GameActivity;

/**
 * The activity that hosts libzhanyou.so (android-activity's GameActivity glue). Its only code:
 * FLAG_SECURE before the window is created, so not even the first frame can be captured. The
 * native side sets the same flag again (android/src/secure.rs).
 */
public class MainActivity extends GameActivity {
    @Override
    protected void onCreate(Bundle savedInstanceState) {
        getWindow().setFlags(WindowManager.LayoutParams.FLAG_SECURE,
                WindowManager.LayoutParams.FLAG_SECURE);
        super.onCreate(savedInstanceState);
    }
}
