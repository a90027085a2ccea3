"""中文：页面上的每一个字（英文见 en.py，键相同）。"""

TEXT: dict[str, str] = {
    # page
    "title": "ResNet 游乐场",
    "heading": "# ResNet 游乐场",
    "subtitle": "选择深度，上传图片，看看残差网络的每个阶段如何处理它。",
    "intro": (
        "ResNet（[He 等，2015](https://arxiv.org/abs/1512.03385)）每隔几层加一条捷径（shortcut），"
        "于是每个残差块学习的是*残差* F(x)，输出 F(x) + x。"
        "[恒等映射](https://arxiv.org/abs/1603.05027)一文把 BN 和 ReLU 移到卷积之前，让捷径从头到尾保持干净。"
        "本页围绕三个问题：**ResNet 解决了什么问题**（*为什么要残差？*）、**它的代码怎么写**（*网络结构*）、"
        "**怎么使用它**（*检视*、*深度对比*）。"
    ),
    "tab_arch": "网络结构",
    "tab_inspect": "检视",
    "tab_compare": "深度对比",
    "tab_lab": "为什么要残差？",
    # the shared model picker
    "depth": "深度",
    "counts": "每个阶段的残差块数",
    "counts_info": "四个整数，每个阶段一个，例如 2, 2, 2, 2",
    "block_type": "残差块类型",
    "variant": "变体",
    "weights": "权重",
    "own_weights": "你自己的权重（.safetensors 或 .pth）",
    "ckpt_help": (
        "上传上面所选结构的状态字典（ResNet-50 即 torchvision `resnet50` 的布局，类别数不限），"
        "格式为 `.safetensors` 或 `.pth`，最大 {mb} MB。读取时不执行任何代码，逐个键检查，"
        "只保留在本浏览器会话中；然后把权重选为“checkpoint”。"
    ),
    "checkpoint": "检查点文件",
    "ckpt_loaded": "已把 **{name}** 载入 {model}（{classes} 个类别）。把权重选为“checkpoint”即可使用；它只属于本浏览器会话。",
    # notices
    "device": "**设备：** {device}",
    "notice_real": "✅ {model}，权重 {source}。{device}",
    "notice_pending": "ℹ️ {model}，权重 {source}，第一次运行时载入。{device}",
    "notice_random": "⚠️ **{model} 使用随机权重：它的预测没有意义。** {device}",
    "notice_no_default": "⚠️ 默认模型无法载入：{error}。{device}",
    "random_short": "随机权重",
    "random_mark": "随机权重：并非真实预测",
    # architecture tab
    "height": "输入高度",
    "width": "输入宽度",
    "level": "图的层级",
    "unfold": "展开较长的阶段",
    "show": "显示",
    "graph": "残差块图",
    "cost": "各阶段的开销",
    "block": "残差块",
    "code_btn": "显示该残差块的代码",
    "code": "残差块代码",
    "code_pick": "# 选择一个残差块以查看它的代码",
    "totals": (
        "**{name}**，输入 {h}×{w}：**{params}** 个参数，**{macs}**，{adds} 次残差加法"
        "（不计入乘加运算），共 {blocks} 个残差块。"
    ),
    "arch_help": (
        "每个方框是一个残差块；实线箭头是恒等捷径，虚线箭头是投影捷径（形状改变处的 1×1 卷积）。"
        "表格给出每个阶段的输出形状及其算式：输出 = ⌊(输入 + 2·填充 − 卷积核) / 步幅⌋ + 1。"
    ),
    # inspect tab
    "picture": "图片",
    "examples": "示例",
    "options": "选项",
    "layer": "Grad-CAM 层",
    "target": "要解释的类别",
    "mode": "预处理",
    "mode_crop": "裁剪中心",
    "mode_whole": "整张图片",
    "size": "输入尺寸",
    "top_k": "前 k 个",
    "guided": "引导 Grad-CAM",
    "run": "检视",
    "quick": "只看前 k 个预测（一次快速前向）",
    "gradcam": "Grad-CAM 热力图",
    "guided_panel": "引导 Grad-CAM",
    "opacity": "热力图透明度",
    "colormap": "色图",
    "predictions": "预测",
    "topk_plot": "前 k 个预测",
    "timeline_heading": "**在 stem 和每个阶段的 Grad-CAM**（每行一个高分类别）：应该选哪一层？",
    "timeline": "Grad-CAM 时间线",
    "stage": "阶段或残差块",
    "scale": "色标",
    "scale_per-channel": "每个通道各自缩放",
    "scale_shared": "所有通道共用",
    "gallery": "最强的通道",
    "stats": "各残差块的统计",
    "auto_target": "自动（第一名）",
    "cam_caption": "{layer} 处针对“{label}”的 Grad-CAM（类别 {target}，logit {score:.2f}）",
    "act_text": (
        "**{name}** 输出 {c}×{h}×{w}：均值 {mean:.3f}，标准差 {std:.3f}，最大值 {max:.3f}，{zeros:.0%} 为零。"
        "最强的通道：{channels}"
    ),
    "run_info": "{model}：输入 {h}×{w}，服务器用时 {ms:.0f} 毫秒",
    "run_pending": "；下面的 Grad-CAM 时间线稍后送到",
    "run_timeline": "（其中 {ms:.0f} 毫秒用于时间线，在其余结果之后送出）",
    "predict_info": "{model}：输入 {h}×{w}，前 {k} 个预测，服务器用时 {ms:.1f} 毫秒（只做前向：没有 Grad-CAM，也没有激活）",
    "progress_load": "正在载入模型并读取图片",
    "progress_pass": "一次前向，一次反向",
    "progress_draw": "正在绘图",
    "progress_timeline": "Grad-CAM 时间线：stem 和每个阶段",
    # compare tab
    "compare_help": "把*检视*页中的图片送入每个标准深度，使用上面选择的权重。",
    "compare": "对比所有深度",
    "compare_gallery": "layer4 处的 Grad-CAM",
    "col_model": "模型",
    "col_top5": "前 5 个预测",
    "col_ms": "毫秒",
    "col_params": "参数量",
    "col_gmacs": "十亿次乘加",
    "col_weights": "权重",
    # lab tab
    "lab_intro": (
        "很深的普通网络（没有捷径）会丢失或放大梯度，并且会**退化**：超过某个深度后，连训练误差都会变差。"
        "捷径同时解决了这两个问题。下面的结果都在这台服务器上实时测量。"
    ),
    "family": "网络族",
    "bn": "批归一化",
    "bn_on": "开",
    "bn_off": "关",
    "bn_both": "两者都测",
    "flow": "测量梯度流",
    "flow_plot": "各残差块的梯度范数（对数坐标）",
    "share_plot": "梯度从哪条路径到达",
    "race_heading": "### 退化：一场训练比赛",
    "race": "开始训练比赛",
    "seconds": "时间预算（秒）",
    "race_plot": "实时曲线",
    "saved_plot": "更长的比赛（已保存）",
    "race_status": "第 {step}/{steps} 步，在 {device} 上用了 {elapsed:.0f} 秒",
    "race_stopped": "（已停止：{why}）",
    "race_line": "* **{name}**：训练损失 {loss:.3f}",
    "race_heldout": "，留出集准确率 {acc:.0%}",
    "ablation_heading": "### 在*检视*页的图片上做捷径消融",
    "ablate": "消融",
    "ablate_mode": "消融方式",
    "ablate_branch": "把残差分支置零",
    "ablate_shortcut": "切断捷径",
    "before": "消融前",
    "after": "消融后",
    "cam_before": "消融前的 Grad-CAM",
    "cam_after": "消融后的 Grad-CAM",
    "anatomy_heading": "### 残差块解剖：v1、v1.5 与预激活",
    "anatomy": "残差块解剖",
    # messages
    "err_no_image": "请先在“检视”页上传一张图片（或选一个示例）。",
    "err_run_first": "请先运行一次检视。",
    "err_generic": "服务器内部出错；错误已记入日志，服务器仍在运行。",
    "err_oom_gpu": "GPU 内存不足。请减小输入尺寸或网络深度。",
    "err_oom": "服务器内存不足。请减小输入尺寸或网络深度。",
    "err_busy": "你已经有 {n} 个任务在运行或排队；请等其中一个完成。",
    "level_block": "残差块",
    "level_layer": "每一层",
    "family_cifar": "CIFAR 型（6n+2，32×32）",
    "family_imagenet": "ImageNet 型（18–152）",
    "weights_random": "随机初始化",
    "weights_checkpoint": "你的检查点",
    "depth_custom": "自定义",
    "block_basic": "基本块",
    "block_bottleneck": "瓶颈块",
    "tab_attr": "归因方法",
    "attr_intro": (
        "网络在看哪里？每种**归因方法**的回答各不相同：梯度、从基线出发的路径、遮挡小块、Shapley 值"
        "（全部通过 [captum](https://captum.ai) 自己的类计算）。先把它们并排比较，再问哪一个可信："
        "**健全性检查**从 logit 开始逐层随机化网络（[Adebayo 等，2018](https://arxiv.org/abs/1810.03292)），"
        "可信的图应当随之改变；**忠实度**测试删除图中排名最高的像素（[Petsiuk 等，2018](https://arxiv.org/abs/1806.07421)），"
        "越忠实的图会让该类别的概率下降得越快。附带的*玩具* ResNet 在生成的图形上训练过，"
        "所以即使没有 ImageNet 权重，它的归因图也有意义。"
    ),
    "attr_model": "模型",
    "attr_model_toy": "在图形上训练过的玩具 ResNet（随附）",
    "attr_model_picked": "上面选择的模型",
    "attr_methods": "方法",
    "attr_params": "方法选项",
    "attr_steps": "积分梯度：步数",
    "attr_baseline": "基线（“不存在”指什么）",
    "attr_baseline_black": "黑色",
    "attr_baseline_blur": "模糊后的图片",
    "attr_baseline_noise": "噪声",
    "attr_baseline_mean": "平均颜色",
    "attr_nt_samples": "SmoothGrad / VarGrad：加噪样本数",
    "attr_window": "遮挡：窗口（像素）",
    "attr_stride": "遮挡：步幅（像素）",
    "attr_mask": "特征消融 / Shapley：特征",
    "attr_mask_grid": "网格单元",
    "attr_mask_superpixels": "超像素",
    "attr_cell": "网格单元大小（像素）",
    "attr_samples": "Shapley：排列数",
    "attr_scale": "色标",
    "attr_scale_signed": "带符号（红色支持，蓝色反对）",
    "attr_scale_absolute": "绝对值",
    "attr_shared": "所有图共用一个范围",
    "attr_run": "比较方法",
    "attr_stop": "停止",
    "attr_sanity": "健全性检查",
    "attr_faith": "忠实度",
    "attr_grid": "并排的归因图",
    "attr_sanity_plot": "逐层随机化时与训练好网络的图的相似度",
    "attr_sanity_maps": "随机化每一步的归因图",
    "attr_faith_plot": "删除曲线与插入曲线",
    "attr_all_apply": "所有方法都适用于这个网络。",
    "attr_not_apply": "不适用于这个网络的方法：",
    "attr_progress_sanity": "正在逐层随机化",
    "attr_random": "随机图：作为参照",
    "attr_random_pixels": "随机（逐像素）",
    "attr_random_cells": "随机（4×4 单元）",
}
