"""中文：页面上的每一个字（英文见 en.py，键相同）。"""

TEXT: dict[str, str] = {
    # page
    "title": "ResNet 游乐场",
    "heading": "# ResNet 游乐场",
    "subtitle": "选择深度，上传图片，看看残差网络的每个阶段如何处理它。",
    "intro": (
        "ResNet（[He 等，2015](https://arxiv.org/abs/1512.03385)）每隔几层加一条捷径，"
        "于是每个残差块学习的是*残差* F(x)，输出 F(x) + x。"
        "[恒等映射](https://arxiv.org/abs/1603.05027)一文把 BN 和 ReLU 移到卷积之前，让捷径从头到尾保持干净。"
        "本页围绕三个问题：**ResNet 解决了什么问题**（*为什么要残差？*）、**它的代码怎么写**（*网络结构*）、"
        "**怎么使用它**（*用你的图片训练*：在你自己的图片上微调并带走权重；*检视*和*深度对比*展示训练好的网络看到了什么）。"
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
    "timeline_heading": "**在主干和每个阶段的 Grad-CAM**（每行一个高分类别）：应该选哪一层？",
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
    "progress_timeline": "Grad-CAM 时间线：主干和每个阶段",
    # compare tab
    "compare_help": "把*检视*页中的图片送入每个标准深度，使用上面选择的权重。每个网络都先构建并运行一次，再为前向传播计时，所以时间一列是深度的开销，而不是加载的开销。",
    "compare": "对比所有深度",
    "compare_gallery": "layer4 处的 Grad-CAM",
    "col_model": "模型",
    "col_top5": "前 5 个预测",
    "col_ms": "前向毫秒",
    "col_build": "构建秒",
    "col_params": "参数量",
    "col_gmacs": "十亿次乘加",
    "col_weights": "权重",
    # lab tab
    "lab_intro": (
        "本页起源的那篇文章这样回答“ResNet 解决了什么问题”：捷径解决了梯度消失与爆炸，也解决了**退化**"
        "（更深的普通网络训练得更差）。[ResNet 论文](https://arxiv.org/abs/1512.03385)的说法更细致："
        "有了 BN，它的普通网络的梯度范数是健康的，退化是一种优化上的困难。后来的工作测量了更多："
        "破碎的梯度、损失曲面的形状、零初始化的残差分支。下面逐一测量这些说法——在这台服务器上实时测量，"
        "或来自注明了生成方式的已保存运行——每张图下面的文字都由它自己的数字算出。"
    ),
    "family": "网络族",
    "bn": "批归一化",
    "bn_on": "开",
    "bn_off": "关",
    "bn_both": "两者都测",
    "flow": "测量梯度流",
    "flow_plot": "各残差块的梯度范数（对数坐标）",
    "share_plot": "梯度从哪条路径到达",
    "race_heading": "### 5. 实时训练比赛：普通网络对 ResNet，在这台服务器上",
    "race": "开始训练比赛",
    "seconds": "时间预算（秒）",
    "race_plot": "实时曲线",
    "saved_plot": "更长的比赛（已保存）",
    "race_status": "第 {step}/{steps} 步，在 {device} 上用了 {elapsed:.0f} 秒",
    "race_stopped": "（已停止：{why}）",
    "stop_time_budget": "时间用完",
    "race_line": "* **{name}**：训练损失 {loss:.3f}",
    "race_heldout": "，留出集准确率 {acc:.0%}",
    "ablation_heading": "### 6. 在*检视*页的图片上做捷径消融",
    "ablate": "消融",
    "ablate_mode": "消融方式",
    "ablate_branch": "把残差分支置零",
    "ablate_shortcut": "切断捷径",
    "before": "消融前",
    "after": "消融后",
    "cam_before": "消融前的 Grad-CAM",
    "cam_after": "消融后的 Grad-CAM",
    "anatomy_heading": "### 7. 残差块解剖：v1、v1.5 与预激活",
    "anatomy": "残差块解剖",
    # messages
    "err_no_image": "请先在“检视”页上传一张图片（或选一个示例）。",
    "err_run_first": "请先运行一次检视。",
    "toast_error": "出错了",
    "toast_warning": "警告",
    "toast_info": "提示",
    "err_title": "出错了",
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
    "attr_sanity_pictures": "健全性检查：参与评判的图片数（你的图片，然后是按名称排序的内置玩具示例）",
    "attr_sanity_first": "下面的曲线和归因图只画了你的图片；上面的结论来自全部图片。",
    "attr_faith": "忠实度",
    "attr_grid": "并排的归因图",
    "attr_sanity_plot": "逐层随机化时与训练好网络的图的相似度",
    "attr_sanity_maps": "随机化每一步的归因图",
    "attr_faith_plot": "删除曲线与插入曲线",
    "attr_all_apply": "所有方法都适用于这个网络。",
    "attr_not_apply": "不适用于这个网络的方法：",
    "attr_progress_sanity": "正在逐层随机化",
    "attr_random": "随机图：作为参照",
    "attr_stopped": "已按你的要求停止。",
    "flow_heading": "### 1. 梯度消失还是爆炸？初始化时各残差块的梯度范数",
    "zero_init": "残差零初始化（每个残差块最后的 BN 置零）",
    "shatter_heading": "### 2. 破碎的梯度：梯度仍有结构，还是在滞后 1 处变成了白噪声？",
    "shatter": "测量梯度破碎",
    "shatter_plot": "沿一条输入直线的梯度，以及它与相邻点的相关性",
    "landscape_heading": "### 3. 训练后网络周围的损失曲面（Li 等人比较了 20 层和 56 层：这里实时计算，下方是保存的 56 层）",
    "landscape_grid": "每边的网格点数",
    "landscape": "切出损失曲面",
    "landscape_plot": "损失曲面（实时）",
    "landscape_saved": "损失曲面（已保存的 56 层运行，Li 等人在这个深度看到普通网络变得混乱；机器见标题）",
    "degradation_heading": "### 4. 退化？更深与更浅的普通网络和 ResNet：我们数据上保存的短程运行（不是论文的数字；结论说明它们显示了什么）",
    "degradation_plot": "普通网络与残差网络的训练误差，多个随机种子",
    "landscape_training": "正在训练 {name}",
    "landscape_slicing": "正在切出 {name} 周围的损失",
    "landscape_done": "完成",
    "tab_train": "用你的图片训练",
    "train_intro": (
        "**怎么使用 ResNet？** 拿一个来，让它适应你自己的类别。给出 2 到 10 个类别（随附的条纹、圆点、棋盘格示例集，"
        "一个每类一个文件夹的 zip，或下面每个类别的图片），选择一种策略——只在固定特征上训练新的 `fc`、"
        "微调最后一个阶段，或微调全部——然后看它学习。之后看看网络内部改变了什么，并把权重和一个独立脚本带回家。"
        "没有网络时权重从随机开始（页面会说明）；在 CPU 上，一个小网络一分钟左右就能训练好。"
    ),
    "train_source": "图片来源",
    "train_source_example": "随附的示例集",
    "train_source_zip": "一个 zip，每类一个文件夹",
    "train_source_classes": "下面的类别栏",
    "train_zip": "类别文件夹的 zip",
    "train_class_n": "类别 {n}：名称",
    "train_images": "图片",
    "train_more": "更多类别（最多 10 个）",
    "train_webcam": "摄像头快照",
    "train_snapshot": "快照",
    "train_to_class": "加入类别",
    "train_add_snapshot": "加入这张快照",
    "train_strategy": "策略",
    "train_augment": "数据增强（翻转、裁剪、颜色）",
    "train_held_out": "留作测试的比例",
    "train_steps": "训练步数",
    "train_start": "开始训练",
    "train_curves": "损失与准确率",
    "train_confusion": "混淆矩阵（留出的图片）",
    "train_pca": "训练前后的池化特征（PCA）",
    "train_cams": "留出的图片：原始网络与微调后网络的 Grad-CAM",
    "train_export_heading": "### 带回家",
    "train_export": "导出权重和脚本",
    "train_weights_file": "权重（.safetensors）",
    "train_script_file": "独立脚本（classify.py）",
    "train_reading": "正在读取图片",
    "train_head0": "{classes} 个类别，{images} 张图片，使用 {model}。",
    "train_random": "它的权重是随机的（这里没有预训练权重）：它从零开始学习。",
    "train_trainable": "可训练参数：{trainable} / {total}。",
    "train_step": "第 {step} / {steps} 步",
    "train_analysing": "正在比较训练前后",
    "train_exported": "已写出 **{name}**（元数据中含类别名）；它可以在“你自己的权重”中重新载入。在它旁边运行 `python classify.py <文件夹>`。",
    "train_stopped": "已按你的要求停止：这次运行没有保留任何结果。重新训练即可比较训练前后并导出。",
    "train_cut": "比较训练前后时时间预算用完了；给更多秒数即可看到全部。",
    "train_cut_features": "特征图被略去了（没有剩余时间）。",
    "train_cut_cams": "只为 {planned} 张留出图片中的 {n} 张画了 Grad-CAM。",
    # receptive fields and feature visualization (tabs/receptive.py)
    "rf_heading": "每个阶段看到什么：感受野",
    "rf_help": (
        "阶段输出的一个位置取决于输入中的一块正方形像素，即它的*感受野*。它从模块本身读出：每个核大小为 k、步长为 s "
        "的卷积或池化给出 `r_out = r_in + (k − 1)·j_in` 和 `j_out = j_in·s`，其中 j（*跳步*）是相邻位置在输入中的距离；"
        "一个残差块看到主路和捷径中较大的那个。方框显示每个阶段的一个位置在同一点周围看到的范围。"
    ),
    "rf_layer": "阶段或残差块",
    "rf_position": "位置（行, 列）",
    "rf_position_info": "留空表示该层输出的中心",
    "rf_show": "显示感受野",
    "rf_picture": "用来画框的图片",
    "rf_boxes": "同一点周围的感受野",
    "rf_json": "数值（JSON）",
    "rf_inspect_heading": "每个阶段看到什么：有效感受野与通道",
    "rf_inspect_help": (
        "**有效感受野**（[Luo 等 2016](https://arxiv.org/abs/1701.04128)）是阶段中心单元的梯度在输入中实际到达的地方，"
        "在噪声图片上取平均，也在你的图片上计算。**特征可视化**（[Olah 等 2017](https://distill.pub/2017/feature-visualization/)）"
        "优化一张图片使某个通道兴奋，旁边是真实图片中最能激发它的部分。随附的*玩具* ResNet 在图形上训练过；"
        "上面选择的模型除非本服务器有它的 ImageNet 权重，否则是随机权重。"
    ),
    "rf_model": "网络",
    "rf_model_toy": "在图形上训练过的玩具 ResNet（随附）",
    "rf_model_picked": "上面选择的模型",
    "rf_size": "输入边长",
    "rf_size_info": "0：模型自己的尺寸（玩具模型为 64 像素）",
    "rf_erf_heading": "#### 有效感受野",
    "rf_noise": "取平均的噪声图片数",
    "rf_erf_run": "测量有效感受野",
    "rf_erf_plot": "中心单元在其理论感受野内的梯度（虚线：95% 的质量）",
    "rf_erf_picture": "在你的图片上",
    "rf_fv_heading": "#### 通道在寻找什么",
    "rf_channels": "通道",
    "rf_channels_info": "最多 8 个编号，在一个批次里一起优化",
    "rf_fv_size": "图片边长",
    "rf_steps": "最多步数",
    "rf_seconds": "最多秒数",
    "rf_fv_run": "可视化这些通道",
    "rf_fv_grid": "优化出的图片（左）和最能激发每个通道的区域",
    "rf_fv_progress": "正在优化：第 {step} / {steps} 步，{s:.1f} 秒",
    # the paper's argument (playground/tabs/argument.py)
    "arg_intro": (
        "## 论证\n"
        "He 等人把几层网络要学的映射写成 **H(x) = F(x) + x**：这些层学习*残差* F(x) = H(x) − x，捷径再把 x 加回来。"
        "学习 F 更容易，这是一个**假设**，不是定理：*如果恒等映射是最优的，把 F 推向零比用一叠非线性层去拟合恒等映射更容易*。"
        "基于它的 ResNet 效果非常好，很可能是因为捷径把梯度传得好。下面逐步展开这个论证，每一步都实测："
        "论文对假设的证据、捷径的梯度公式，以及深层 ResNet 为什么像许多浅路径的集成。"
    ),
    "arg_hypothesis": (
        "### A. 假设与论文的证据（He 等人 2015，§3.1 与图 7）\n"
        "如果想要的映射接近恒等，残差块只需要很小的 F(x)。论文间接地检验了这一点：各层响应（BN 之后、相加和 ReLU 之前）"
        "的标准差在 ResNet 中比在普通孪生网络中小，并且在更深的 ResNet 中更小。这里用竞赛中的普通-N 和 ResNet-N 在同样的"
        "批次上训练，然后在留出图像上测量每个块的响应 F(x)，并给出 ‖F(x)‖ / ‖x‖。"
    ),
    "arg_depths": "深度（一到三个）",
    "arg_steps": "训练步数",
    "arg_response_run": "训练并测量响应",
    "arg_response_plot": "每个块的响应：F(x) 的标准差与 ‖F(x)‖ / ‖x‖",
    "arg_numbers": "数值（JSON）",
    "arg_bn_hypothesis": (
        "**BN 在这里的作用**。每个响应都在分支最后一个 BN 之后读取，BN 把分支输出设到一个可学习的尺度上："
        "这就是论文中每层都有 BN 的普通网络能够训练的原因，也是它们的响应能与 ResNet 比较的原因。在分支末端，BN 让 F(x) "
        "保持在其 γ 的尺度上，因此残差流 x + F(x) 只增长分支加上的那一点。没有 BN 时，每个块都加上一个和 x 一样大的项，"
        "残差流的方差每个块翻一倍；De 和 Smith（2020）指出 BN 在 ResNet 中真正的作用就是缩小分支，SkipInit 用分支上一个"
        "初始为零的可学习标量代替它。响应在评估模式下测量：此时 BN 使用运行统计量，与测试时相同；训练模式下它用批次自身的统计量归一化。"
    ),
    "arg_equation": (
        "### B. 捷径为什么能传递梯度（恒等映射论文，式 4–5）\n"
        "当捷径是恒等映射、相加之后不再有任何操作时，任何更深块的输出都等于较浅块的输出加上一串残差之和，梯度随之为：\n\n"
        "$$x_L = x_l + \\sum_{i=l}^{L-1} F(x_i), \\qquad "
        "\\frac{\\partial E}{\\partial x_l} = \\frac{\\partial E}{\\partial x_L}"
        "\\Big(1 + \\frac{\\partial}{\\partial x_l}\\sum_{i=l}^{L-1} F(x_i)\\Big)$$\n\n"
        "其中的 **1** 把顶层的梯度原样交给每一个块，而求和项不太可能对整个批次都把它抵消，所以梯度不会消失；"
        "但公式中也没有任何东西让各处范数相等。v1 在 ⊕ 之后的 ReLU 会把这个 1 乘上它的掩码（和为负处为零），"
        "捷径上的投影或 BN 会把它乘上一个矩阵或尺度：通路就不再干净。下图把每个块的输入梯度拆成经过捷径的部分和经过分支的部分；"
        "两者相加等于 autograd 的梯度。"
    ),
    "arg_split_run": "拆分梯度",
    "arg_split_plot": "每个块的梯度：经过捷径与经过分支",
    "arg_bn_gradient": (
        "**BN 与梯度**。在初始化时，BN 使普通网络的梯度向输入端增长（Yang 等人 2019；见上面普通网络那一栏），"
        "所以深层普通网络的失败并不是因为缺少梯度；这种增长是随机初始状态的性质，权重一旦开始适应就不再持续，"
        "但普通网络仍然训练得更差（退化，在下面测量）。捷径的 1 并非来自 BN，而是来自相加本身。"
    ),
    "arg_ensembles": (
        "### C. ResNet 表现得像浅路径的集成（Veit 等人 2016）\n"
        "展开后，n 个残差块给出 2ⁿ 条路径，其中 C(n, k) 条经过 k 个分支：大多数路径长约 n/2 个块。Veit 等人从训练好的 "
        "ResNet 中删除单个块（保留捷径、去掉分支），错误率几乎不变；而从普通网络中去掉一层就会使它崩溃；随机删除 k 个块时"
        "性能平滑下降。随机深度（Huang 等人 2016）在训练时正是这样随机丢弃块。可以选择随附的 8 块玩具模型（几秒钟），"
        "或竞赛中的 ResNet-N 与普通-N（先现场训练）；下面是 ResNet-56（27 个块）在多个种子上保存的结果。"
    ),
    "arg_network": "网络",
    "arg_network_toy": "随附的玩具模型（8 个块）",
    "arg_network_race": "竞赛中的 ResNet-N 与普通-N（现在训练）",
    "arg_lesion_run": "删除块",
    "arg_lesion_plot": "按长度的路径分布，以及删除块后的留出集准确率",
    "arg_lesion_saved": "已保存：竞赛中的 ResNet-56 与普通-56，多个种子",
    "arg_paper_heading": "### D. 论文自己的数字（供参考；是论文的，不是这里测的）",
    "arg_stage_training": "正在训练 {name}",
    "arg_stage_measuring": "正在测量 {name}",
    "arg_stage_lesioning": "正在删除 {name} 的块",
    "arg_stage_loading": "正在加载 {name} 模型",
    "arg_no_bn_heading": (
        "**没有 BN 时**。从 ResNet 中去掉 BN、保留通常的初始化：每个块都加上一个和输入一样大的分支，残差流的方差每个块约翻一倍，"
        "前向传播随之爆炸。三种方法让每个块都从恒等映射开始：**零初始化**（分支最后一层为零）、**SkipInit**（De 和 Smith 2020："
        "分支上一个初始为 0 的可学习标量）和 **Fixup**（Zhang 等人 2019：把分类层和每个分支的最后一层置零；把分支中其余层按 "
        "L^(−1/(2m−2)) 缩放；每个分支加一个标量乘子，并在每个卷积、线性层和激活之前加标量偏置）。下面在初始化时测量它们，并让它们并排训练。"
    ),
    "arg_no_bn_run": "不用 BN 训练",
    "arg_no_bn_plot": "没有 BN 时：初始化时的残差流与训练损失",
    "arg_no_bn_saved": "已保存：没有 BN，多个种子（画出第一个种子）",
    "arg_stop": "停止",
    "arg_stopped": "已在结束前停止：这次运行没有结果可显示。",
}
