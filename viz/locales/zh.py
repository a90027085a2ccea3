"""中文：页面和图上的每一个字，按带命名空间的键（英文见 en.py，键相同）。"""

TEXT: dict[str, str] = {
    # ---- page: the playground's labels, notices and messages (playground/locales reads them)
    "page.title": "ResNet 游乐场",
    "page.heading": "# ResNet 游乐场",
    "page.subtitle": "选择深度，上传图片，看看残差网络的每个阶段如何处理它。",
    "page.intro": (
        "ResNet（[He 等，2015](https://arxiv.org/abs/1512.03385)）每隔几层加一条捷径，于是每个残差块学习的是*残差* F(x)，输出 F(x) + "
        "x。[恒等映射](https://arxiv.org/abs/1603.05027)一文把 BN 和 ReLU 移到卷积之前，让捷径从头到尾保持干净。本页围绕三个问题：**ResNet "
        "解决了什么问题**（*为什么要残差？*）、**它的代码怎么写**（*网络结构*）、**怎么使用它**（*用你的图片训练*：在你自己的图片上微调并带走权重；"
        "*检视*和*深度对比*展示训练好的网络看到了什么）。"
    ),
    "page.tab_arch": "网络结构",
    "page.tab_inspect": "检视",
    "page.tab_compare": "深度对比",
    "page.tab_lab": "为什么要残差？",
    # the shared model picker
    "page.depth": "深度",
    "page.counts": "每个阶段的残差块数",
    "page.counts_info": "四个整数，每个阶段一个，例如 2, 2, 2, 2",
    "page.block_type": "残差块类型",
    "page.variant": "变体",
    "page.weights": "权重",
    "page.own_weights": "你自己的权重（.safetensors 或 .pth）",
    "page.ckpt_help": (
        "上传上面所选结构的状态字典（ResNet-50 即 torchvision `resnet50` 的布局，类别数不限），格式为 `.safetensors` 或 `.pth`，最大 {mb} "
        "MB。读取时不执行任何代码，逐个键检查，只保留在本浏览器会话中；然后把权重选为“checkpoint”。"
    ),
    "page.checkpoint": "检查点文件",
    "page.ckpt_loaded": "已把 **{name}** 载入 {model}（{classes} 个类别）。把权重选为“checkpoint”即可使用；它只属于本浏览器会话。",
    # notices
    "page.device": "**设备：** {device}",
    "page.notice_real": "✅ {model}，权重 {source}。{device}",
    "page.notice_pending": "ℹ️ {model}，权重 {source}，第一次运行时载入。{device}",
    "page.notice_random": "⚠️ **{model} 使用随机权重：它的预测没有意义。** {device}",
    "page.notice_no_default": "⚠️ 默认模型无法载入：{error}。{device}",
    "page.random_mark": "随机权重：并非真实预测",
    # architecture tab
    "page.height": "输入高度",
    "page.width": "输入宽度",
    "page.level": "图的层级",
    "page.unfold": "展开较长的阶段",
    "page.show": "显示",
    "page.graph": "残差块图",
    "page.cost": "各阶段的开销",
    "page.block": "残差块",
    "page.code_btn": "显示该残差块的代码",
    "page.code": "残差块代码",
    "page.code_pick": "# 选择一个残差块以查看它的代码",
    "page.totals": "**{name}**，输入 {h}×{w}：**{params}** 个参数，**{macs}**，{adds} 次残差加法（不计入乘加运算），共 {blocks} 个残差块。",
    "page.arch_help": (
        "每个方框是一个残差块；实线箭头是恒等捷径，虚线箭头是投影捷径（形状改变处的 1×1 卷积）。表格给出每个阶段的输出形状及其算式：输出 = ⌊(输入 + 2·填充 − 卷积核) / 步幅⌋ + 1。"
    ),
    # inspect tab
    "page.picture": "图片",
    "page.examples": "示例",
    "page.options": "选项",
    "page.layer": "Grad-CAM 层",
    "page.target": "要解释的类别",
    "page.mode": "预处理",
    "page.mode_crop": "裁剪中心",
    "page.mode_whole": "整张图片",
    "page.size": "输入尺寸",
    "page.top_k": "前 k 个",
    "page.guided": "引导 Grad-CAM",
    "page.run": "检视",
    "page.quick": "只看前 k 个预测（一次快速前向）",
    "page.gradcam": "Grad-CAM 热力图",
    "page.guided_panel": "引导 Grad-CAM",
    "page.opacity": "热力图透明度",
    "page.colormap": "色图",
    "page.predictions": "预测",
    "page.topk_plot": "前 k 个预测",
    "page.timeline_heading": "**在主干和每个阶段的 Grad-CAM**（每行一个高分类别）：应该选哪一层？",
    "page.timeline": "Grad-CAM 时间线",
    "page.stage": "阶段或残差块",
    "page.scale": "色标",
    "page.scale_per-channel": "每个通道各自缩放",
    "page.scale_shared": "所有通道共用",
    "page.gallery": "最强的通道",
    "page.stats": "各残差块的统计",
    "page.auto_target": "自动（第一名）",
    "page.cam_caption": "{layer} 处针对“{label}”的 Grad-CAM（类别 {target}，logit {score:.2f}）",
    "page.act_text": (
        "**{name}** 输出 {c}×{h}×{w}：均值 {mean:.3f}，标准差 {std:.3f}，最大值 {max:.3f}，{zeros:.0%} 为零。最强的通道：{channels}"
    ),
    "page.run_info": "{model}：输入 {h}×{w}，服务器用时 {ms:.0f} 毫秒",
    "page.run_pending": "；下面的 Grad-CAM 时间线稍后送到",
    "page.run_timeline": "（其中 {ms:.0f} 毫秒用于时间线，在其余结果之后送出）",
    "page.predict_info": "{model}：输入 {h}×{w}，前 {k} 个预测，服务器用时 {ms:.1f} 毫秒（只做前向：没有 Grad-CAM，也没有激活）",
    "page.progress_load": "正在载入模型并读取图片",
    "page.progress_pass": "一次前向，一次反向",
    "page.progress_draw": "正在绘图",
    "page.progress_timeline": "Grad-CAM 时间线：主干和每个阶段",
    # compare tab
    "page.compare_help": "把*检视*页中的图片送入每个标准深度，使用上面选择的权重。每个网络都先构建并运行一次，再为前向传播计时，所以时间一列是深度的开销，而不是加载的开销。",
    "page.compare": "对比所有深度",
    "page.compare_gallery": "layer4 处的 Grad-CAM",
    "page.col_model": "模型",
    "page.col_top5": "前 5 个预测",
    "page.col_ms": "前向毫秒",
    "page.col_build": "构建秒",
    "page.col_params": "参数量",
    "page.col_gmacs": "十亿次乘加",
    "page.col_weights": "权重",
    # lab tab
    "page.lab_intro": (
        "本页起源的那篇文章这样回答“ResNet 解决了什么问题”：捷径解决了梯度消失与爆炸，也解决了**退化**（更深的普通网络训练得更差）。[ResNet "
        "论文](https://arxiv.org/abs/1512.03385)的说法更细致：有了 BN，它的普通网络的梯度范数是健康的，退化是一种优化上的困难。后来的工作测量了更多：破碎的梯度、"
        "损失曲面的形状、零初始化的残差分支。下面逐一测量这些说法——在这台服务器上实时测量，或来自注明了生成方式的已保存运行——每张图下面的文字都由它自己的数字算出。"
    ),
    "page.family": "网络族",
    "page.bn": "批归一化",
    "page.bn_on": "开",
    "page.bn_off": "关",
    "page.bn_both": "两者都测",
    "page.flow": "测量梯度流",
    "page.flow_plot": "各残差块的梯度范数（对数坐标）",
    "page.share_plot": "梯度从哪条路径到达",
    "page.race_heading": "### 5. 实时训练比赛：普通网络对 ResNet，在这台服务器上",
    "page.race": "开始训练比赛",
    "page.seconds": "时间预算（秒）",
    "page.race_plot": "实时曲线",
    "page.saved_plot": "更长的比赛（已保存）",
    "page.race_status": "第 {step}/{steps} 步，在 {device} 上用了 {elapsed:.0f} 秒",
    "page.race_stopped": "（已停止：{why}）",
    "page.stop_time_budget": "时间用完",
    "page.race_line": "* **{name}**：训练损失 {loss:.3f}",
    "page.race_heldout": "，留出集准确率 {acc:.0%}",
    "page.ablation_heading": "### 6. 在*检视*页的图片上做捷径消融",
    "page.ablate": "消融",
    "page.ablate_mode": "消融方式",
    "page.ablate_branch": "把残差分支置零",
    "page.ablate_shortcut": "切断捷径",
    "page.before": "消融前",
    "page.after": "消融后",
    "page.cam_before": "消融前的 Grad-CAM",
    "page.cam_after": "消融后的 Grad-CAM",
    "page.anatomy_heading": "### 7. 残差块解剖：v1、v1.5 与预激活",
    "page.anatomy": "残差块解剖",
    # messages
    "page.toast_error": "出错了",
    "page.toast_warning": "警告",
    "page.toast_info": "提示",
    "page.err_title": "出错了",
    "page.err_lead": "出错了：{message}",
    "page.err_generic": "服务器内部出错；错误已记入日志，服务器仍在运行。",
    "page.err_oom_gpu": "GPU 内存不足。请减小输入尺寸或网络深度。",
    "page.err_oom": "服务器内存不足。请减小输入尺寸或网络深度。",
    "page.level_block": "残差块",
    "page.level_layer": "每一层",
    "page.family_cifar": "CIFAR 型（6n+2，32×32）",
    "page.family_imagenet": "ImageNet 型（18–152）",
    "page.weights_random": "随机初始化",
    "page.weights_checkpoint": "你的检查点",
    "page.depth_custom": "自定义",
    "page.block_basic": "基本块",
    "page.block_bottleneck": "瓶颈块",
    "page.tab_attr": "归因方法",
    "page.attr_intro": (
        "网络在看哪里？每种**归因方法**的回答各不相同：梯度、从基线出发的路径、遮挡小块、Shapley 值（全部通过 [captum](https://captum.ai) "
        "自己的类计算）。先把它们并排比较，再问哪一个可信：**健全性检查**从 logit 开始逐层随机化网络（[Adebayo "
        "等，2018](https://arxiv.org/abs/1810.03292)），可信的图应当随之改变；**忠实度**测试删除图中排名最高的像素（[Petsiuk "
        "等，2018](https://arxiv.org/abs/1806.07421)），越忠实的图会让该类别的概率下降得越快。附带的*玩具* ResNet 在生成的图形上训练过，所以即使没有 "
        "ImageNet 权重，它的归因图也有意义。"
    ),
    "page.attr_model": "模型",
    "page.attr_model_toy": "在图形上训练过的玩具 ResNet（随附）",
    "page.attr_model_picked": "上面选择的模型",
    "page.attr_methods": "方法",
    "page.attr_params": "方法选项",
    "page.attr_steps": "积分梯度：步数",
    "page.attr_baseline": "基线（“不存在”指什么）",
    "page.attr_baseline_black": "黑色",
    "page.attr_baseline_blur": "模糊后的图片",
    "page.attr_baseline_noise": "噪声",
    "page.attr_baseline_mean": "平均颜色",
    "page.attr_nt_samples": "SmoothGrad / VarGrad：加噪样本数",
    "page.attr_window": "遮挡：窗口（像素）",
    "page.attr_stride": "遮挡：步幅（像素）",
    "page.attr_mask": "特征消融 / Shapley：特征",
    "page.attr_mask_grid": "网格单元",
    "page.attr_mask_superpixels": "超像素",
    "page.attr_cell": "网格单元大小（像素）",
    "page.attr_samples": "Shapley：排列数",
    "page.attr_scale": "色标",
    "page.attr_scale_signed": "带符号（红色支持，蓝色反对）",
    "page.attr_scale_absolute": "绝对值",
    "page.attr_shared": "所有图共用一个范围",
    "page.attr_run": "比较方法",
    "page.attr_stop": "停止",
    "page.attr_sanity": "健全性检查",
    "page.attr_sanity_pictures": "健全性检查：参与评判的图片数（你的图片，然后是按名称排序的内置玩具示例）",
    "page.attr_sanity_first": "下面的曲线和归因图只画了你的图片；上面的结论来自全部图片。",
    "page.attr_faith": "忠实度",
    "page.attr_grid": "并排的归因图",
    "page.attr_sanity_plot": "逐层随机化时与训练好网络的图的相似度",
    "page.attr_sanity_maps": "随机化每一步的归因图",
    "page.attr_faith_plot": "删除曲线与插入曲线",
    "page.attr_all_apply": "所有方法都适用于这个网络。",
    "page.attr_not_apply": "不适用于这个网络的方法：",
    "page.attr_progress_sanity": "正在逐层随机化",
    "page.attr_random": "随机图：作为参照",
    "page.attr_stopped": "已按你的要求停止。",
    "page.flow_heading": "### 1. 梯度消失还是爆炸？初始化时各残差块的梯度范数",
    "page.zero_init": "残差零初始化（每个残差块最后的 BN 置零）",
    "page.shatter_heading": "### 2. 破碎的梯度：梯度仍有结构，还是在滞后 1 处变成了白噪声？",
    "page.shatter": "测量梯度破碎",
    "page.shatter_plot": "沿一条输入直线的梯度，以及它与相邻点的相关性",
    "page.landscape_heading": "### 3. 训练后网络周围的损失曲面（Li 等人比较了 20 层和 56 层：这里实时计算，下方是保存的 56 层）",
    "page.landscape_grid": "每边的网格点数",
    "page.landscape": "切出损失曲面",
    "page.landscape_plot": "损失曲面（实时）",
    "page.landscape_saved": "损失曲面（已保存的 56 层运行，Li 等人在这个深度看到普通网络变得混乱；机器见标题）",
    "page.degradation_heading": "### 4. 退化？更深与更浅的普通网络和 ResNet：我们数据上保存的短程运行（不是论文的数字；结论说明它们显示了什么）",
    "page.degradation_plot": "普通网络与残差网络的训练误差，多个随机种子",
    "page.landscape_training": "正在训练 {name}",
    "page.landscape_slicing": "正在切出 {name} 周围的损失",
    "page.landscape_done": "完成",
    "page.tab_train": "用你的图片训练",
    "page.train_intro": (
        "**怎么使用 ResNet？** 拿一个来，让它适应你自己的类别。给出 2 到 10 个类别（随附的条纹、圆点、棋盘格示例集，一个每类一个文件夹的 "
        "zip，或下面每个类别的图片），选择一种策略——只在固定特征上训练新的 `fc`、微调最后一个阶段，或微调全部——然后看它学习。之后看看网络内部改变了什么，并把权重和一个独立脚本带回家。"
        "没有网络时权重从随机开始（页面会说明）；在 CPU 上，一个小网络一分钟左右就能训练好。"
    ),
    "page.train_source": "图片来源",
    "page.train_source_example": "随附的示例集",
    "page.train_source_zip": "一个 zip，每类一个文件夹",
    "page.train_source_classes": "下面的类别栏",
    "page.train_zip": "类别文件夹的 zip",
    "page.train_class_n": "类别 {n}：名称",
    "page.train_images": "图片",
    "page.train_more": "更多类别（最多 10 个）",
    "page.train_webcam": "摄像头快照",
    "page.train_snapshot": "快照",
    "page.train_to_class": "加入类别",
    "page.train_add_snapshot": "加入这张快照",
    "page.train_strategy": "策略",
    "page.train_augment": "数据增强（翻转、裁剪、颜色）",
    "page.train_held_out": "留作测试的比例",
    "page.train_steps": "训练步数",
    "page.train_start": "开始训练",
    "page.train_curves": "损失与准确率",
    "page.train_confusion": "混淆矩阵（留出的图片）",
    "page.train_pca": "训练前后的池化特征（PCA）",
    "page.train_cams": "留出的图片：原始网络与微调后网络的 Grad-CAM",
    "page.train_export_heading": "### 带回家",
    "page.train_export": "导出权重和脚本",
    "page.train_weights_file": "权重（.safetensors）",
    "page.train_script_file": "独立脚本（classify.py）",
    "page.train_reading": "正在读取图片",
    "page.train_head0": "{classes} 个类别，{images} 张图片，使用 {model}。",
    "page.train_random": "它的权重是随机的（这里没有预训练权重）：它从零开始学习。",
    "page.train_trainable": "可训练参数：{trainable} / {total}。",
    "page.train_step": "第 {step} / {steps} 步",
    "page.train_analysing": "正在比较训练前后",
    "page.train_exported": "已写出 **{name}**（元数据中含类别名）；它可以在“你自己的权重”中重新载入。在它旁边运行 `python classify.py <文件夹>`。",
    # receptive fields and feature visualization (tabs/receptive.py)
    "page.train_stopped": "下面的比较和导出使用你停止时（第 {step} 步）的权重。",
    "page.train_cut": "比较训练前后时时间预算用完了；给更多秒数即可看到全部。",
    "page.train_cut_features": "特征图被略去了（没有剩余时间）。",
    "page.train_cut_cams": "只为 {planned} 张留出图片中的 {n} 张画了 Grad-CAM。",
    "page.rf_heading": "每个阶段看到什么：感受野",
    "page.rf_help": (
        "阶段输出的一个位置取决于输入中的一块正方形像素，即它的*感受野*。它从模块本身读出：每个核大小为 k、步长为 s 的卷积或池化给出 `r_out = r_in + (k − 1)·j_in` 和 "
        "`j_out = j_in·s`，其中 j（*跳步*）是相邻位置在输入中的距离；一个残差块看到主路和捷径中较大的那个。方框显示每个阶段的一个位置在同一点周围看到的范围。"
    ),
    "page.rf_layer": "阶段或残差块",
    "page.rf_position": "位置（行, 列）",
    "page.rf_position_info": "留空表示该层输出的中心",
    "page.rf_show": "显示感受野",
    "page.rf_picture": "用来画框的图片",
    "page.rf_boxes": "同一点周围的感受野",
    "page.rf_json": "数值（JSON）",
    "page.rf_inspect_heading": "每个阶段看到什么：有效感受野与通道",
    "page.rf_inspect_help": (
        "**有效感受野**（[Luo 等 2016](https://arxiv.org/abs/1701.04128)）是阶段中心单元的梯度在输入中实际到达的地方，在噪声图片上取平均，也在你的图片上计算。"
        "**特征可视化**（[Olah 等 2017](https://distill.pub/2017/feature-visualization/)）优化一张图片使某个通道兴奋，"
        "旁边是真实图片中最能激发它的部分。随附的*玩具* ResNet 在图形上训练过；上面选择的模型除非本服务器有它的 ImageNet 权重，否则是随机权重。"
    ),
    "page.rf_model": "网络",
    "page.rf_model_toy": "在图形上训练过的玩具 ResNet（随附）",
    "page.rf_model_picked": "上面选择的模型",
    "page.rf_size": "输入边长",
    "page.rf_size_info": "0：模型自己的尺寸（玩具模型为 64 像素）",
    "page.rf_erf_heading": "#### 有效感受野",
    "page.rf_noise": "取平均的噪声图片数",
    "page.rf_erf_run": "测量有效感受野",
    "page.rf_erf_plot": "中心单元在其理论感受野内的梯度（虚线：95% 的质量）",
    "page.rf_erf_picture": "在你的图片上",
    "page.rf_fv_heading": "#### 通道在寻找什么",
    "page.rf_channels": "通道",
    "page.rf_channels_info": "最多 8 个编号，在一个批次里一起优化",
    "page.rf_fv_size": "图片边长",
    "page.rf_steps": "最多步数",
    "page.rf_seconds": "最多秒数",
    "page.rf_fv_run": "可视化这些通道",
    "page.rf_fv_grid": "优化出的图片（左）和最能激发每个通道的区域",
    "page.rf_fv_progress": "正在优化：第 {step} / {steps} 步，{s:.1f} 秒",
    # the paper's argument (playground/tabs/argument.py)
    "page.arg_intro": (
        "## 论证\n"
        "He 等人把几层网络要学的映射写成 **H(x) = F(x) + x**：这些层学习*残差* F(x) = H(x) − x，捷径再把 x 加回来。学习 F "
        "更容易，这是一个**假设**，不是定理：*如果恒等映射是最优的，把 F 推向零比用一叠非线性层去拟合恒等映射更容易*。基于它的 ResNet "
        "效果非常好，很可能是因为捷径把梯度传得好。下面逐步展开这个论证，每一步都实测：论文对假设的证据、捷径的梯度公式，以及深层 ResNet 为什么像许多浅路径的集成。"
    ),
    "page.arg_hypothesis": (
        "### A. 假设与论文的证据（He 等人 2015，§3.1 与图 7）\n"
        "如果想要的映射接近恒等，残差块只需要很小的 F(x)。论文间接地检验了这一点：各层响应（BN 之后、相加和 ReLU 之前）的标准差在 ResNet 中比在普通孪生网络中小，并且在更深的 "
        "ResNet 中更小。这里用竞赛中的普通-N 和 ResNet-N 在同样的批次上训练，然后在留出图像上测量每个块的响应 F(x)，并给出 ‖F(x)‖ / ‖x‖。"
    ),
    "page.arg_depths": "深度（一到三个）",
    "page.arg_steps": "训练步数",
    "page.arg_response_run": "训练并测量响应",
    "page.arg_response_plot": "每个块的响应：F(x) 的标准差与 ‖F(x)‖ / ‖x‖",
    "page.arg_numbers": "数值（JSON）",
    "page.arg_bn_hypothesis": (
        "**BN 在这里的作用**。每个响应都在分支最后一个 BN 之后读取，BN 把分支输出设到一个可学习的尺度上：这就是论文中每层都有 BN 的普通网络能够训练的原因，也是它们的响应能与 ResNet "
        "比较的原因。在分支末端，BN 让 F(x) 保持在其 γ 的尺度上，因此残差流 x + F(x) 只增长分支加上的那一点。没有 BN 时，每个块都加上一个和 x "
        "一样大的项，残差流的方差每个块翻一倍；De 和 Smith（2020）指出 BN 在 ResNet 中真正的作用就是缩小分支，SkipInit "
        "用分支上一个初始为零的可学习标量代替它。响应在评估模式下测量：此时 BN 使用运行统计量，与测试时相同；训练模式下它用批次自身的统计量归一化。"
    ),
    "page.arg_equation": (
        "### B. 捷径为什么能传递梯度（恒等映射论文，式 4–5）\n"
        "当捷径是恒等映射、相加之后不再有任何操作时，任何更深块的输出都等于较浅块的输出加上一串残差之和，梯度随之为：\n"
        "\n"
        "$$x_L = x_l + \\sum_{i=l}^{L-1} F(x_i), \\qquad \\frac{\\partial E}{\\partial x_l} = "
        "\\frac{\\partial E}{\\partial x_L}\\Big(1 + \\frac{\\partial}{\\partial x_l}\\sum_{i=l}^{L-1} "
        "F(x_i)\\Big)$$\n"
        "\n"
        "其中的 **1** 把顶层的梯度原样交给每一个块，而求和项不太可能对整个批次都把它抵消，所以梯度不会消失；但公式中也没有任何东西让各处范数相等。v1 在 ⊕ 之后的 ReLU 会把这个 1 "
        "乘上它的掩码（和为负处为零），捷径上的投影或 BN 会把它乘上一个矩阵或尺度：通路就不再干净。下图把每个块的输入梯度拆成经过捷径的部分和经过分支的部分；两者相加等于 autograd 的梯度。"
    ),
    "page.arg_split_run": "拆分梯度",
    "page.arg_split_plot": "每个块的梯度：经过捷径与经过分支",
    "page.arg_bn_gradient": (
        "**BN 与梯度**。在初始化时，BN 使普通网络的梯度向输入端增长（Yang 等人 2019；见上面普通网络那一栏），所以深层普通网络的失败并不是因为缺少梯度；这种增长是随机初始状态的性质，"
        "权重一旦开始适应就不再持续，但普通网络仍然训练得更差（退化，在下面测量）。捷径的 1 并非来自 BN，而是来自相加本身。"
    ),
    "page.arg_ensembles": (
        "### C. ResNet 表现得像浅路径的集成（Veit 等人 2016）\n"
        "展开后，n 个残差块给出 2ⁿ 条路径，其中 C(n, k) 条经过 k 个分支：大多数路径长约 n/2 个块。Veit 等人从训练好的 ResNet "
        "中删除单个块（保留捷径、去掉分支），错误率几乎不变；而从普通网络中去掉一层就会使它崩溃；随机删除 k 个块时性能平滑下降。随机深度（Huang 等人 "
        "2016）在训练时正是这样随机丢弃块。可以选择随附的 8 块玩具模型（几秒钟），或竞赛中的 ResNet-N 与普通-N（先现场训练）；下面是 ResNet-56（27 个块）在多个种子上保存的结果。"
    ),
    "page.arg_network": "网络",
    "page.arg_network_toy": "随附的玩具模型（8 个块）",
    "page.arg_network_race": "竞赛中的 ResNet-N 与普通-N（现在训练）",
    "page.arg_lesion_run": "删除块",
    "page.arg_lesion_plot": "按长度的路径分布，以及删除块后的留出集准确率",
    "page.arg_lesion_saved": "已保存：竞赛中的 ResNet-56 与普通-56，多个种子",
    "page.arg_paper_heading": "### D. 论文自己的数字（供参考；是论文的，不是这里测的）",
    "page.arg_stage_training": "正在训练 {name}",
    "page.arg_stage_measuring": "正在测量 {name}",
    "page.arg_stage_lesioning": "正在删除 {name} 的块",
    "page.arg_stage_loading": "正在加载 {name} 模型",
    "page.arg_no_bn_heading": (
        "**没有 BN 时**。从 ResNet 中去掉 BN、保留通常的初始化：每个块都加上一个和输入一样大的分支，残差流的方差每个块约翻一倍，前向传播随之爆炸。三种方法让每个块都从恒等映射开始："
        "**零初始化**（分支最后一层为零）、**SkipInit**（De 和 Smith 2020：分支上一个初始为 0 的可学习标量）和 **Fixup**（Zhang 等人 "
        "2019：把分类层和每个分支的最后一层置零；把分支中其余层按 L^(−1/(2m−2)) 缩放；每个分支加一个标量乘子，并在每个卷积、线性层和激活之前加标量偏置）。下面在初始化时测量它们，"
        "并让它们并排训练。"
    ),
    "page.arg_no_bn_run": "不用 BN 训练",
    "page.arg_no_bn_plot": "没有 BN 时：初始化时的残差流与训练损失",
    "page.arg_no_bn_saved": "已保存：没有 BN，多个种子（画出第一个种子）",
    "page.arg_stop": "停止",
    "page.arg_stopped": "已在结束前停止：这次运行没有结果可显示。",
    # ---- graph: viz/graph.py
    "graph.legend_identity": "恒等捷径",
    "graph.legend_projection": "投影捷径（1×1 conv）",
    "graph.legend_pad": "补零捷径（方案 A）",
    "graph.shortcut_identity": "恒等捷径",
    "graph.shortcut_projection": "投影捷径 {ops}",
    "graph.shortcut_pad": "补零捷径（方案 A）",
    "graph.shortcut_none": "无捷径（平原网络对照）",
    "graph.shortcut_convs": "捷径卷积",
    "graph.block_detail": "{kind} [{convs}]，步长 {stride}；{shortcut}",
    "graph.stage_detail": "{n} 个{kind}；捷径：{parts}",
    "graph.stage_part": "{n} 个{kind}",
    "graph.basic": "基本块",
    "graph.bottleneck": "瓶颈块",
    "graph.identity": "恒等",
    "graph.projection": "投影",
    "graph.pad": "补零",
    "graph.none": "无",
    "graph.input_detail": "{h}×{w} RGB 图像",
    "graph.folded_label": "×{n} 个块",
    "graph.lane": "<b>{stage}</b> {shape} · {n} 个块",
    "graph.lane_plain": "<b>{stage}</b> {shape}",
    "graph.output": "输出 {shape}",
    "graph.params": "{n} 参数",
    "graph.adds": "{n} 次加法",
    "graph.title": "{name} · 输入 {h}×{w} · {params} 参数 · {macs}",
    "graph.focus_hint": " · {focus} 的每一层（在下方选一个残差块再点“显示”，可画出它所在的阶段）",
    "graph.kind_input": "输入图像",
    "graph.kind_stem": "主干",
    "graph.kind_block": "残差块",
    "graph.kind_stage": "折叠的阶段",
    "graph.kind_conv": "卷积",
    "graph.kind_bn": "批归一化",
    "graph.kind_relu": "ReLU",
    "graph.kind_add": "残差相加（捷径 + 分支）",
    "graph.kind_maxpool": "最大池化",
    "graph.kind_avgpool": "全局平均池化",
    "graph.kind_fc": "全连接",
    "graph.kind_pad": "补零捷径",
    "graph.label_input": "输入",
    "graph.label_stem": "主干",
    "graph.label_maxpool": "池化",
    "graph.label_avgpool": "平均池化",
    "graph.label_avg": "平均",
    "graph.label_head": "输出头",
    "graph.stage_stem": "主干",
    "graph.stage_head": "输出头",
    "graph.max_pool": "最大池化",
    "graph.verdict": "{name} 共有 {n} 个残差块，分布在 {stages} 个阶段：{parts}。",
    "graph.verdict_projection": "{k} 个投影捷径，位于阶段改变通道数或分辨率之处",
    "graph.verdict_pad": "{k} 个补零捷径，位于阶段改变通道数或分辨率之处",
    "graph.verdict_identity": "{k} 个恒等捷径，把块的输入原样加到输出上",
    "graph.verdict_sep": "；",
    "graph.verdict_plain": "{name} 共有 {n} 个块，分布在 {stages} 个阶段，没有捷径（平原网络对照）。",

    # ---- shapes: viz/shapes.py
    "shapes.h_stage": "阶段",
    "shapes.h_operation": "操作",
    "shapes.h_arithmetic": "尺寸算式",
    "shapes.h_output": "输出 C×H×W",
    "shapes.h_params": "参数量",
    "shapes.h_macs": "乘加次数（MACs）",
    "shapes.h_adds": "残差加法",
    "shapes.stem": "主干",
    "shapes.head": "输出头",
    "shapes.total": "合计",
    "shapes.unchanged": "{a} → {a}（步长 1，不变）",
    "shapes.conv": "conv",
    "shapes.max-pool": "最大池化",
    "shapes.basic": "基本块",
    "shapes.bottleneck": "瓶颈块",
    "shapes.final_norm": "最后的 BN + ReLU（预激活）",
    "shapes.avgpool": "全局平均池化",
    "shapes.fc": "全连接 {i} → {o}",
    "shapes.fc_arith": "{i}·{o} 个权重 + {o} 个偏置",
    "shapes.input": "输入 3×{h}×{w}",
    "shapes.summary": "**{name}**，输入 {h}×{w}：{params} 参数，{macs}，{adds} 次残差加法",
    "shapes.params_title": "参数量",
    "shapes.macs_title": "乘加次数（MACs）",
    "shapes.params_hover": "%{x}：%{text} 参数<extra></extra>",
    "shapes.title": "{name}，输入 {h}×{w}：{params} 参数，{macs}",
    "shapes.verdict_less": "{top_p} 占全部 {params} 参数的 {share_p:.0%}，却只承担 {share_pm:.0%} 的计算量；",
    "shapes.verdict_more": "{top_p} 占全部 {params} 参数的 {share_p:.0%}，也承担 {share_pm:.0%} 的计算量；",
    "shapes.verdict_level": "各阶段的计算量保持在 {lo} 到 {hi} 之间，因为每个把特征图减半的阶段都把通道数翻倍。",
    "shapes.verdict_uneven": "{busy} 的计算量最大（{hi}），因为它堆叠了全部 {total} 个块中的 {blocks} 个。",

    # ---- code: resnet_core/explain.py
    "code.title": "# {name}：{kind}（{variant}），步长 {stride}，{shortcut}捷径",
    "code.shapes": "# x：{x} -> 输出：{out}   （C, H, W），省略批维度",
    "code.costs": "# {params:,} 个参数，{macs:,.1f} M 次乘加，{adds:,} 次残差加法",
    "code.identity": "恒等",
    "code.projection": "投影",
    "code.pad": "补零",
    "code.none": "无",
    "code.branch": "分支",
    "code.shortcut": "捷径",
    "code.option_a": "方案 A",

    # ---- activations: viz/activations.py
    "activations.mean_title": "平均激活值",
    "activations.zeros_title": "这张图片上输出为零的比例（被 ReLU 截断）",
    "activations.mean": "均值",
    "activations.zeros": "零值占比",
    "activations.hover": "均值 {mean:.3g} · 标准差 {std:.3g} · 最大值 {max:.3g}<br>零值 {zeros:.1%}",
    "activations.kind_stem": "主干",
    "activations.kind_stage": "阶段",
    "activations.kind_block": "块",
    "activations.verdict": (
        "在 {n} 个块中，平均激活值从 {first:.3g}（{first_name}）变到 {last:.3g}（{last_name}），最高 {peak:.3g}（{peak_name}）；"
    ),
    "activations.verdict_zeros": "每个块的输出中有 {zlo:.0%} 到 {zhi:.0%} 恰好为零，被块末尾的 ReLU 截断。",
    "activations.verdict_no_zeros": "几乎没有输出恰好为零（最多 {zhi:.1%}）：相加之后没有 ReLU。",

    # ---- predictions: viz/predictions.py
    "predictions.random_note": "随机权重——并非真实预测",
    "predictions.random_tag": "{label}（随机权重）",
    "predictions.empty": "还没有预测",
    "predictions.hover": "%{y}<br>类别 %{customdata}<br>%{x:.2%}<extra></extra>",

    # ---- cam: viz/cam.py
    "cam.timeline_title": "各个深度的 Grad-CAM",
    "cam.stem": "主干",

    # ---- compare: viz/compare.py
    "compare.cost": (
        "从 ResNet-{shallow} 到 ResNet-{deep}，一次前向传播的时间变为 {time_ratio:.1f} 倍（{fast:.0f} → {slow:.0f} 毫秒），乘加次数为 "
        "{macs_ratio:.1f} 倍，参数为 {params_ratio:.1f} 倍。"
    ),
    "compare.slower_than_macs": "在这台设备上，时间比乘加次数增长得更快：计算量并不能单独决定时间。",
    "compare.faster_than_macs": "在这台设备上，时间比乘加次数增长得更慢：计算量并不能单独决定时间。",
    "compare.built": "构建其中 {built} 个模型用了 {build_s:.1f} 秒，不计入上面的时间：每个深度都先构建并运行一次，再计时。",
    "compare.agree": (
        "{n} 个深度中有 {agree} 个把“{label}”排在第一。一张图片说明不了哪个深度更准确：He 等人（2016，表 3）在 ImageNet 的 50,000 张验证图片上测得，从 34 "
        "层到 152 层 top-1 错误率逐步下降。"
    ),
    "compare.random": "这些权重是随机的，所以这里的类别没有意义；只有开销几列有意义。",
    "compare.random_short": "随机权重",

    # ---- receptive: viz/receptive.py
    "receptive.summary": (
        "**{name}**，输入 {h}×{w}：**{layer}** 的一个位置看到输入的 **{r}×{r} 像素**（图片面积的 {share:.0%}），相邻位置相隔 {j} 像素。"
    ),
    "receptive.headers": "层|感受野 r（像素）|跳步 j（像素）|输出|主路 / 捷径|算式",
    "receptive.stem": "主干",
    "receptive.shortcut_mark": "[捷径]",
    "receptive.same_variant": "基本块在每种变体里都把步长放在第一个 3x3 卷积上，所以 {this} 和 {other} 看到的一样：{layer} {r} 像素。",
    "receptive.differ": (
        "{v1} 把下采样瓶颈块的步长放在第一个 1x1 卷积上，于是它的 3x3 卷积已在加倍的跳步上工作，增加的感受野也加倍：{layer} 在 {v1} 中看到 {r1} 像素，在 {v15} 中看到 "
        "{r15} 像素（torchvision 的 v1.5 把步长移到了 3x3 上）。"
    ),
    "receptive.no_differ": "这里 {this} 和 {other} 看到的一样：{layer} {r} 像素。",
    "receptive.trained": "训练过",
    "receptive.random": "随机",
    "receptive.noise": "噪声 ×{n}",
    "receptive.picture": "你的图片",
    "receptive.erf_title": "{weights}，{source}：95% 在 {r} 像素中的 {side} 内（{fraction:.0%}）",
    "receptive.erf_head": "**{layer}** 中心单元的有效感受野（{name}，{h}×{w}）：容纳 95% 梯度的正方形边长是理论边长 {r} 像素的 {sides}。",
    "receptive.erf_small": "它占理论面积的 {area:.0%}：感受野的大部分只承载不到 5% 的作用，正如 Luo 等（2016）所报告的一小部分。",
    "receptive.erf_large": "它占理论面积的 {area:.0%}，超过一半：这里有效感受野并不是理论感受野的一小部分（Luo 等报告的是一小部分）。",
    "receptive.erf_gauss": "它的剖面像高斯分布那样集中（超额峰度 {k}；高斯为 0，平坦为 −1.2），正是 Luo 等推导出的形状。",
    "receptive.erf_not_gauss": "它的剖面不像高斯分布（超额峰度 {k}；高斯为 0，平坦为 −1.2）。",
    "receptive.erf_grew": "训练使它变大了（边长的 {trained:.0%}，随机权重为 {random:.0%}），与 Luo 等的发现一致。",
    "receptive.erf_shrank": "这里训练没有使它变大（边长的 {trained:.0%}，随机权重为 {random:.0%}）；Luo 等在他们的网络上看到它变大，此处测量没有重现。",
    "receptive.erf_no_trained": "本服务器没有 {name} 的训练权重，所以只测量了随机权重。",
    "receptive.erf_clipped": "理论感受野比输入还大，所以它的方框被边界截断。",
    "receptive.fv_random": "**这些权重是随机的：优化出的图片只是噪声。** 随机通道不对任何特定图案响应，没有学到的东西可以展示。",
    "receptive.fv_head": (
        "**{layer}** 的 {n} 个通道（{name}，{source}）：{seconds:.1f} 秒内 {steps} 步（因{by}而停止）。最后一个 ReLU "
        "之前的平均激活，从灰色起点到优化后的图片：{rises}。"
    ),
    "receptive.fv_examples": "每个旁边：通道响应最强的图片区域。",
    "receptive.fv_steps": "步数用完",
    "receptive.fv_time": "时间用完",
    "receptive.fv_tag": "通道 {c}：{start:.2f} → {end:.2f}",

    # ---- attributions: viz/attributions.py
    "attributions.image": "输入",
    "attributions.grid_title": "类别“{label}”的归因图<br><sup>{scale}</sup>",
    "attributions.signed": "带符号，红为正、蓝为负",
    "attributions.absolute": "绝对值",
    "attributions.per_map": "各图按自身峰值缩放",
    "attributions.shared": "所有图共用一个范围",
    "attributions.value": "数值",
    "attributions.no_maps": "还没有可显示的归因图。",
    "attributions.sanity_title": "级联随机化（Adebayo 等，2018）：与训练后模型归因图的相似度",
    "attributions.spearman": "|归因图| 的 Spearman 秩相关",
    "attributions.ssim": "|归因图| 的 SSIM",
    "attributions.step": "从输出层向下随机化到",
    "attributions.deletion": "删除<br><sup>移除最重要像素时的类别概率</sup>",
    "attributions.insertion": "插入<br><sup>加入最重要像素时的类别概率</sup>",
    "attributions.fraction": "像素比例",
    "attributions.probability": "类别概率",
    "attributions.faith_title": "忠实度（Petsiuk 等，2018）",
    "attributions.method": "方法",
    "attributions.del_auc": "删除曲线面积（越低越好）",
    "attributions.ins_auc": "插入曲线面积（越高越好）",
    "attributions.infidelity": "不忠实度（越低越好）",
    "attributions.sensitivity": "最大敏感度（越低越好）",
    "attributions.random": "随机图",
    "attributions.random_pixels": "随机图（逐像素）",
    "attributions.random_cells": "随机图（4×4 单元）",
    "attributions.trained": "训练后",
    "attributions.top": "级联顶部：在此读取结论",
    "attributions.v_grid": "类别“{label}”共 {n} 张归因图。最快：{fast}（{fast_t}）；最慢：{slow}（{slow_t}）。",
    "attributions.v_sanity_rule": (
        "按 Adebayo 等人的做法从级联的顶部读结论：分类层和最后一个阶段随机化之后（直到 {top}），若归因图与训练好网络的图的秩相关仍不低于 {thr}，则视为基本不变，未通过。{over}"
    ),
    "attributions.v_sanity_one": "在这一张图上：",
    "attributions.v_sanity_many": "共 {n} 张图，均值 ± 标准差：",
    "attributions.v_sanity_pass": "通过（归因图随权重而变）：{names}。",
    "attributions.v_sanity_fail": "未通过（归因图基本不变）：{names}。",
    "attributions.v_sanity_masked": "{label} 的通过完全来自其 Grad-CAM 因子：它所乘的 {base} 图基本不变（ρ={rho:.2f}）。",
    "attributions.v_sanity_masked_unrun": "{label} 的变化可能只来自其 Grad-CAM 因子（同时运行 {base} 即可看出）。",
    "attributions.v_sanity_agree": "与 Adebayo 等人的发现一致：{names}。",
    "attributions.v_sanity_disagree": "Adebayo 等人对 {names} 得出了相反的结论。",
    "attributions.v_sanity_detail": "所有层都随机化之后，每张图都会改变（所以级联的末端无法区分方法）：{details}。",
    "attributions.v_none": "无",
    "attributions.v_faith_best": "删除曲线面积最低：{best}（{auc:.3f}）。",
    "attributions.v_faith_beat": "与“{rnd}”（{auc:.3f}）相比，删除测试中胜过它的：{names}。",
    "attributions.v_faith_lost": "未胜过它的：{names}。",
    "attributions.v_faith_norandom": "删除曲线面积最低：{best}（{auc:.3f}）；没有随机图可供比较。",
    "attributions.v_empty": "尚无测量结果。",
    "attributions.note_gradcam": "在 {layer} 处取正部 (ReLU)，双线性上采样",

    # ---- transfer: viz/transfer.py
    "transfer.curves_title": "训练：{strategy}，{total} 个参数中 {trainable} 个参与学习",
    "transfer.step": "步数",
    "transfer.loss": "损失",
    "transfer.accuracy": "准确率",
    "transfer.train_loss": "训练损失",
    "transfer.train_acc": "批次准确率",
    "transfer.held_acc": "留出集准确率",
    "transfer.no_updates": "尚未训练",
    "transfer.confusion_title": "留出图片：真实类别与预测（正确 {acc:.0%}）",
    "transfer.true": "真实类别",
    "transfer.predicted": "预测",
    "transfer.confusion_hover": "真实：%{y}<br>预测：%{x}<br>图片数：%{z}<extra></extra>",
    "transfer.pca_title": "每张图片的池化特征经 PCA 投影到二维<br><sup>每个面板各自投影</sup>",
    "transfer.before": "训练前（可分度 {sep:.2f}）",
    "transfer.after": "训练后（可分度 {sep:.2f}）",
    "transfer.axis": "主成分 {k}（方差占比 {share:.0%}）",
    "transfer.held_out": "留出",
    "transfer.train": "训练",
    "transfer.pca_hover": "%{customdata[0]}<br>类别：%{customdata[1]}<br>%{customdata[2]}<extra></extra>",
    "transfer.strategy_features": "固定特征提取器",
    "transfer.strategy_last_stage": "微调最后一个阶段",
    "transfer.strategy_all": "微调全部参数",
    "transfer.grid_image": "图片",
    "transfer.grid_before": "原始网络",
    "transfer.grid_after": "微调后",
    "transfer.verdict_train": (
        "{strategy}：经过 {steps} 步（{seconds:.0f} 秒，训练了 {total} 个参数中的 {trainable} 个），留出集准确率从 {first:.0%} 变为 "
        "{last:.0%}{stop}。"
    ),
    "transfer.stop_time": "；因时间预算而停止",
    "transfer.stop_user": "；按要求停止",
    "transfer.verdict_confusion_clean": "{n} 个类别的留出图片全部分类正确。",
    "transfer.verdict_confusion": (
        "{total} 张留出图片中 {right} 张正确（{acc:.0%}）；最常见的错误是把“{true}”当成“{pred}”（{count} 次）。"
    ),
    "transfer.verdict_pca_better": "训练后各类别分得更开：池化特征的类间与类内方差之比从 {before:.2f} 变为 {after:.2f}。",
    "transfer.verdict_pca_worse": "池化特征并没有把类别分得更开（之前 {before:.2f}，之后 {after:.2f}）；主要靠新的 fc 层完成分类。",
    "transfer.verdict_cams": "{n} 张留出图片中，微调后的网络答对 {right} 张；原始网络用它自己的类别来命名，例如“{example}”。",

    # ---- lab.flow: viz/lab/flow.py
    "lab.common.times": "{x}倍",
    "lab.common.cores": "{n} 核",
    "lab.common.threads": "{n} 个 torch 线程",
    "lab.flow.label_bn": "，有 BN",
    "lab.flow.label_no_bn": "，无 BN",
    "lab.flow.label_zero": "，残差零初始化",
    "lab.flow.empty": "还没有计算梯度流",
    "lab.flow.legend": "{label}（首/末 {ratio}，每块 {gain}）",
    "lab.flow.hover": "%{customdata}<br>均方根(∂L/∂输出) = %{y:.3g}",
    "lab.flow.title": "初始化时每个块的梯度：{family} 深度 {depth}，一次反向传播，批量 {batch}，输入 {size}×{size}",
    "lab.flow.y": "每个元素的梯度：∂L/∂(块输出) 的均方根",
    "lab.flow.x": "块（输入端 → 输出端）",
    "lab.flow.no_split": "普通网络没有捷径，无从拆分",
    "lab.flow.via_shortcut": "经由捷径",
    "lab.flow.via_branch": "经由残差分支",
    "lab.flow.share_hover": (
        "%{x}：%{y:.0%} {part}<br>均方根(捷径部分) = %{customdata[0]:.3g}<br>均方根(分支部分) = %{customdata[1]:.3g}"
    ),
    "lab.flow.share_y": "∂L/∂x 的占比",
    "lab.flow.share_title": "每个块输入端的梯度从哪里来",
    "lab.flow.verdict": (
        "{label}：初始化时，第一个块每个元素的梯度是最后一个块的 {ratio}，跨越 {blocks} 个块（每块 {gain}，只在这个深度上测得）。{regime}"
    ),
    "lab.flow.steady": "相差不到一个数量级：一个学习率适合所有块。",
    "lab.flow.mild growth": "梯度向输入端增长，但不到 100 倍：一个学习率仍能兼顾两端。",
    "lab.flow.mild decay": "梯度向输入端减小，但不到 100 倍：一个学习率仍能兼顾两端。",
    "lab.flow.explodes": "梯度向输入端爆炸：超过 100 倍，在第一步没有一个学习率能同时适合两端。",
    "lab.flow.vanishes": "梯度向输入端消失：超过 100 倍，在第一步，以末端能承受的学习率，前面的块几乎学不动。",
    "lab.flow.after": "经过 {steps} 步 SGD（学习率 {lr}）后：{ratio}。",
    "lab.flow.after_settled": "经过 {steps} 步 SGD（学习率 {lr}）后：{ratio}，已在 100 倍以内：这种失衡属于最初几步，而不是整个训练。",
    "lab.flow.after_still": "经过 {steps} 步 SGD（学习率 {lr}）后：仍为 {ratio}。",
    "lab.flow.after_diverged": "经过 {steps} 步 SGD（学习率 {lr}）后损失已不再有限：以这个学习率训练会发散。",
    "lab.flow.dead": "根本没有梯度到达最后一个块。",
    "lab.flow.forward": "前向传播已经爆炸：初始化时损失为 {loss:.3g}，随机猜测为 {chance:.2g}。",
    "lab.flow.explain_nobn": (
        "没有 BN 时：普通网络每层把信号缩小一点，所以梯度向输入端减小（每块 {plain_gain}）；ResNet 的每个块把分支加到主干上，x + F(x)，主干和它的梯度随深度增长（每块 "
        "{res_gain}，初始化损失 {res_loss:.3g}）。"
    ),
    "lab.flow.explain_bn": (
        "有 BN 时：普通网络的梯度在初始化时向输入端爆炸（每块 {plain_gain}），正如 Yang 等人（2019）对带 BN 的宽全连接网络所预测的；ResNet 只温和增长（每块 "
        "{res_gain}），因为每个块的梯度都有一条经过恒等映射的干净通路。论文说有 BN 时梯度\"健康\"，指的是不消失；而在初始化时，它们是向输入端增长。"
    ),
    "lab.flow.explain_zero": (
        "残差分支零初始化（torchvision 的 zero_init_residual，源自 Goyal 等人 2017；也是 Fixup 三条规则之一，Zhang 等人 "
        "2019）：每个块一开始就是恒等映射，所以无论有没有 BN，ResNet 在块与块之间原样传递梯度：同一阶段内相邻块最多相差 {within}，因此不随深度累积；每个元素的首/末比为 "
        "{ratios}，由阶段之间的过渡决定，而不是由块数决定。普通网络保持通常的初始化（每块 {plain_gains}）。"
    ),

    # ---- lab.shatter: viz/lab/shatter.py
    "lab.shatter.title": "初始化时的梯度破碎（{bn}）：沿一条直线上 {points} 个输入的输入梯度",
    "lab.shatter.bn": "有 BN",
    "lab.shatter.no_bn": "无 BN",
    "lab.shatter.line_panel": "沿直线的 d(输出)/dt，深度 {depth}（各自缩放到单位标准差）",
    "lab.shatter.ac_panel": "梯度的自相关与滞后",
    "lab.shatter.t": "直线上的位置 t",
    "lab.shatter.grad": "梯度（缩放后）",
    "lab.shatter.lag": "滞后（点数）",
    "lab.shatter.ac": "自相关",
    "lab.shatter.hover_ac": "滞后 %{x}：%{y:.2f}",
    "lab.shatter.verdict": (
        "深度 {depth} 时，相邻点梯度的相关系数：{plain} 为 {plain_r:.2f}，{res} 为 {res_r:.2f}（{pre} "
        "{pre_r:.2f}）。{judgement}在深度 {depths} 上，普通网络的相邻相关依次为 {plain_seq}；ResNet 为 {res_seq}。"
    ),
    "lab.shatter.shattered": "普通网络的梯度在相邻点之间已不相关（滞后 1 处如同白噪声：破碎了），ResNet 的仍然平滑变化，与 Balduzzi 等人的发现一致。",
    "lab.shatter.both_smooth": "在这个深度两者都还平滑变化：破碎需要更深的网络。",
    "lab.shatter.not_seen": "这里 ResNet 的梯度并不比普通网络的更平滑，与 Balduzzi 等人的发现不同。",

    # ---- lab.landscape: viz/lab/landscape.py
    "lab.landscape.title": (
        "训练 {steps} 步后 plain-{depth} 与 ResNet-{depth} 周围的训练损失，沿两个按滤波器归一化的方向（{grid}×{grid} 网格）"
    ),
    "lab.landscape.saved": "已保存：{where}，{date}，{seconds:.0f} 秒，仅一次运行（一个种子：没有离散程度）（我们测的，不是论文的数字）",
    "lab.landscape.live": "实时：{device}，{seconds:.0f} 秒",
    "lab.landscape.panel": "{name}：中心损失 {loss:.2f}，训练准确率 {acc:.0%}",
    "lab.landscape.a": "方向 1（α）",
    "lab.landscape.b": "方向 2（β）",
    "lab.landscape.colorbar": "log10 损失",
    "lab.landscape.hover": "α=%{x:.2f}，β=%{y:.2f}<br>损失 %{customdata:.3g}",
    "lab.landscape.missing": "{path} 没有保存的损失地形；运行：python scripts/landscape.py",
    "lab.landscape.verdict": (
        "从每个切片的中心向外走，{plain} 周围有 {plain_dips:.0%} 的网格步损失不升反降，{res} 周围为 {res_dips:.0%}；网格上 {plain} 有 "
        "{plain_min}，{res} 有 {res_min}。{judgement}"
    ),
    "lab.landscape.minima_1": "1 个局部极小值",
    "lab.landscape.minima_n": "{n} 个局部极小值",
    "lab.landscape.smoother_deep": "ResNet 的曲面是更平滑的碗形，与 Li 等人从 56 层起的发现一致（plain-56 混乱，ResNet-56 平滑）。",
    "lab.landscape.smoother_shallow": "这里 ResNet 的曲面更平滑；Li 等人发现 20 层时两者都很温和，普通网络的曲面要到 56 层起才变得混乱。",
    "lab.landscape.similar_shallow": (
        "两个曲面看起来差不多，与 Li 等人在 20 层的发现一致（plain-20 与 ResNet-20 一样温和）；他们看到普通网络的曲面从 56 层起才变得混乱。"
    ),
    "lab.landscape.similar_deep": "这里两个曲面看起来差不多，与 Li 等人在 56 层、充分训练后的发现不同（plain-56 混乱，ResNet-56 平滑）。",
    "lab.landscape.rougher": "这里 ResNet 的曲面反而更崎岖，与 Li 等人的发现不同。",
    "lab.landscape.slope": (
        "{name} 的切片中心不在极小值处（经过 {moves} 次重新居中，最低的网格点仍偏离中心）：向外走有一部分是在沿坡下行，所以它的“下降”不是崎岖，比较没有结论。"
    ),
    "lab.landscape.moved": "切片以损失最低处为中心，正如 Li 等人在极小值处切片：{moves}。",
    "lab.landscape.moved_one": "{name} 从训练停止处移动了 ({a:.2f}, {b:.2f})",
    "lab.landscape.untrained": "注意：{plain} 训练得较少（准确率 {acc:.0%}，ResNet 为 {res_acc:.0%}），所以它的切片位于曲面更高处。",

    # ---- lab.degradation: viz/lab/degradation.py
    "lab.degradation.plain_panel": "普通网络",
    "lab.degradation.res_panel": "ResNet",
    "lab.degradation.step": "步数",
    "lab.degradation.error": "错误率",
    "lab.degradation.train": "{name} 训练",
    "lab.degradation.test": "{name} 留出集",
    "lab.degradation.hover": "第 %{x} 步：错误率 %{y:.1%}",
    "lab.degradation.title": (
        "我们合成数据上的退化现象（{seeds} 个种子；线：平均训练错误率，带：最小–最大，点：留出集）<br>{where}，{date}：我们测的，不是论文的数字"
    ),
    "lab.degradation.missing": "{path} 没有保存的退化实验；运行：python scripts/degradation.py",
    "lab.degradation.pair": (
        "{deep} 最终训练错误率 {deep_err}，{shallow} 为 {shallow_err}（{steps} 步中最后 {share:.0%} 的平均）：更深的网络在 {seeds} "
        "个种子中有 {n} 个更{cmp}。"
    ),
    "lab.degradation.worse": "差",
    "lab.degradation.better": "好",
    "lab.degradation.one_seed": "只有一个种子：无法判断离散程度。",
    "lab.degradation.summary_yes": "论文所说的退化在这里成立（图 1 与图 6）：更深的普通网络能训练，但训练错误率更高，而更深的 ResNet 更低。",
    "lab.degradation.never_started": (
        "这不是论文的图 1：{deep} 在每个种子中都停在随机水平（错误率 {chance:.0%}），{steps} 步内根本没有开始训练；而论文中的 plain-56 能训练，只是错误率高于 "
        "plain-20。"
    ),
    "lab.degradation.mixed": (
        "论文中普通网络的规律（更深的能训练、但在每个种子中错误率都更高）在这里不成立：{seeds} 个种子中有 {started} 个离开了随机水平，{worse} 个最终更差。"
    ),
    "lab.degradation.res_worse": (
        "更深的 ResNet 在 {seeds} 个种子中也有 {n} 个更差，与论文图 6（ResNet-56 低于 ResNet-20）相反：在这个训练长度下，深度让每种网络都学得更慢。"
    ),
    "lab.degradation.res_better": "更深的 ResNet 在多数种子中错误率更低，与论文图 6 一致。",

    # ---- lab.race: viz/lab/race.py
    "lab.race.loss_panel": "训练损失",
    "lab.race.acc_panel": "准确率（线：训练批次；点：留出集）",
    "lab.race.loss_hover": "第 %{x} 步：损失 %{y:.3f}",
    "lab.race.acc_hover": "第 %{x} 步：训练准确率 %{y:.1%}",
    "lab.race.eval_hover": "第 %{x} 步：留出集准确率 %{y:.1%}",
    "lab.race.held_out": "留出集",
    "lab.race.step": "步数",
    "lab.race.loss": "交叉熵",
    "lab.race.accuracy": "准确率",
    "lab.race.press": "点击开始：普通网络和残差网络将在这里赛跑",
    "lab.race.done": "完成",
    "lab.race.running": "运行中",
    "lab.race.stopped": "已停止（{why}）",
    "lab.race.time budget": "时间用完",
    "lab.race.title": "{names}：第 {step}/{steps} 步，{elapsed:.0f} 秒，设备 {device}，{state}",
    "lab.race.missing": "{path} 没有保存的曲线；运行：python scripts/race.py",
    "lab.race.vs": " 对 ",
    "lab.race.saved": (
        "保存的赛跑（我们测的，不是论文的数字）：{names}，仅一次运行（种子 {seed}：没有跨种子的离散程度）<br>{steps} 步，{where}（{device}），torch "
        "{torch}，{date}，{wall:.0f} 秒"
    ),
    "lab.race.verdict": "训练 {step} 步后，{res} 在留出图像上得分 {res_acc:.0%}，{plain} 得分 {plain_acc:.0%}：{lead}",
    "lab.race.lead_res": "ResNet 领先 {gap:.0f} 个百分点；两者层相同、批次相同，只差捷径。",
    "lab.race.lead_plain": "目前普通网络领先 {gap:.0f} 个百分点。",
    "lab.race.lead_tie": "目前没有谁领先（相差不到 {gap:.0f} 个百分点）。",
    "lab.race.waiting": "还没有留出集得分。",

    # ---- lab.ablation: viz/lab/ablation.py
    "lab.ablation.branch": "把 {block} 的残差分支置零",
    "lab.ablation.shortcut": "切断 {block} 的捷径",
    "lab.ablation.same": "后，最高类别仍是“{label}”（{p0:.0%} → {p1:.0%}）；原前 {k} 个类别中有 {overlap} 个仍在前 {k}。",
    "lab.ablation.moved": (
        "后，最高类别从“{label}”（{p0:.0%}）变成“{new}”（{p2:.0%}；“{label}”现为 {now}）；原前 {k} 个类别中有 {overlap} 个仍在前 {k}。"
    ),
    "lab.ablation.barely": "在这张图片上网络几乎没有察觉。",
    "lab.ablation.barely_branch": "在这张图片上网络几乎没有察觉，与 Veit 等人对训练好的 ResNet 删去一个块的发现一致。",
    "lab.ablation.clearly": "在这张图片上预测明显改变了。",
    "lab.ablation.random": "权重是随机的，消融前后的预测都没有意义：这个变化说明不了 {block} 在训练好的网络中起什么作用。请选 ImageNet 权重来检验 Veit 等人的发现。",
    "lab.ablation.out": "已跌出前 {k}",
    "lab.ablation.empty": "尚无测量结果。",

    # ---- lab.anatomy: viz/lab/anatomy.py
    "lab.anatomy.bottleneck/v1/title": "瓶颈块 v1（论文）",
    "lab.anatomy.bottleneck/v1/note": "步长 2 在第一个 1×1 卷积上：<br>每 4 个位置跳过 3 个，<br>3×3 卷积根本看不到它们",
    "lab.anatomy.bottleneck/v1.5/title": "瓶颈块 v1.5（torchvision）",
    "lab.anatomy.bottleneck/v1.5/note": "步长 2 移到 3×3 卷积：<br>参数相同，计算更多，<br>top-1 约高 0.5%",
    "lab.anatomy.bottleneck/preact/title": "瓶颈块 预激活",
    "lab.anatomy.bottleneck/preact/note": "每个卷积前先 BN-ReLU，⊕ 之后什么都没有：<br>x 在块与块之间原样传递<br>（《恒等映射》一文，图 4e）",
    "lab.anatomy.basic/v1/title": "基本块 v1 = v1.5",
    "lab.anatomy.basic/v1/note": "v1 和 v1.5 只在瓶颈块上不同：<br>基本块没有可以移走步长的 1×1 卷积",
    "lab.anatomy.basic/preact/title": "基本块 预激活",
    "lab.anatomy.basic/preact/note": "每个卷积前先 BN-ReLU，<br>⊕ 之后什么都没有",
    "lab.anatomy.input": "x（输入）",
    "lab.anatomy.no_relu": "⊕ 之后没有 ReLU",
    "lab.anatomy.conv": "conv {k}×{k}",
    "lab.anatomy.stride": ", 步长 {s}",
    "lab.anatomy.channels": "（×{n} 通道）",
    "lab.anatomy.plus_bn": " + BN",
    "lab.anatomy.no_bn": "（无 BN）",
    "lab.anatomy.legend": (
        "<span style='color:#ff7f0e'><b>橙色</b></span>：该变体不同之处 · 蓝：卷积 · 黄：BN · 绿：ReLU · 右侧为捷径（投影：每个阶段的第一个块）"
    ),

    # ---- lab.hypothesis: viz/lab/hypothesis.py
    "lab.hypothesis.title": "He 等人图 7 的实测：训练 {steps} 步后每个块的响应 F(x)（我们在合成图形上测得）",
    "lab.hypothesis.std": "响应 F(x) 的标准差",
    "lab.hypothesis.relative": "‖F(x)‖ / ‖x‖",
    "lab.hypothesis.x": "块（输入端 → 输出端）",
    "lab.hypothesis.legend": "{name}（留出集 {acc:.0%}）",
    "lab.hypothesis.hover": "%{customdata}<br>%{y:.3g}",
    "lab.hypothesis.depth": (
        "深度 {depth}：ResNet 的响应标准差均值为 {res:.3g}，普通孪生网络为 {plain:.3g}，{cmp}（在 {frac:.0%} 的块位置上更小）；ResNet 的 "
        "‖F(x)‖/‖x‖ 中位数为 {rel:.2f}。"
    ),
    "lab.hypothesis.smaller": "更小",
    "lab.hypothesis.not_smaller": "并不更小",
    "lab.hypothesis.deeper": "ResNet-{deep} 的响应标准差均值（{a:.3g}）{cmp} ResNet-{shallow} 的（{b:.3g}）。",
    "lab.hypothesis.below": "低于",
    "lab.hypothesis.not_below": "不低于",
    "lab.hypothesis.holds": "**论文的解读在这里成立**：残差函数总体较小，比普通网络的层更小{deeper}。这与假设相符（接近恒等的块只需要很小的 F），但并不证明它。",
    "lab.hypothesis.holds_deeper": "，并且在更深的网络中更小",
    "lab.hypothesis.partly": "**在这个训练长度下，论文的规律没有完全成立**：请看上面哪一项比较不成立；论文训练了 64k 次迭代，这里只有 {steps} 步。",
    "lab.hypothesis.pretrained": (
        "{name}（{source}，没有普通孪生网络可比）：每个块的响应标准差 {lo:.3g}–{hi:.3g}，‖F(x)‖/‖x‖ 中位数 {rel:.2f}。"
    ),
    "lab.hypothesis.no_pretrained": "这台服务器上没有预训练的 ResNet-50 权重，所以只测量了训练好的孪生网络。",
    "lab.hypothesis.untrained": " 普通-{depth} 网络的留出集准确率只有 {acc:.0%}，它的响应来自一个几乎没有训练好的网络。",

    # ---- lab.gradient_split: viz/lab/gradient_split.py
    "lab.gradient_split.title": "每个块的 ∂E/∂x_l 拆分：经过捷径（式 5 中的“1”）和经过分支。深度 {depth}，初始化时，批大小 {batch}",
    "lab.gradient_split.via_shortcut": "经过捷径",
    "lab.gradient_split.via_branch": "经过分支",
    "lab.gradient_split.total": "‖∂E/∂x_l‖（autograd）",
    "lab.gradient_split.y": "梯度范数",
    "lab.gradient_split.x": "块（输入端 → 输出端）",
    "lab.gradient_split.hover": "%{customdata}：%{y:.3g}",
    "lab.gradient_split.preact": (
        "**{name}**：在它的 {n} 个恒等块上，捷径部分与块输出处的梯度完全相等（比值 {lo:.4f}–{hi:.4f}）：这就是式 5 的干净通路，顶层的梯度原样到达每个块。"
    ),
    "lab.gradient_split.v1": (
        "**{name}**：⊕ 之后的 ReLU 只在和为正的位置放行捷径部分，所以它平均只带过输出梯度范数的 {mean:.0%}（{lo:.0%}–{hi:.0%}）：通路并不干净。"
    ),
    "lab.gradient_split.plain": "**{name}**：没有捷径，就没有“1”：所有梯度都要穿过各层，第一个块的梯度是最后一个块的 {ratio}。",
    "lab.gradient_split.norms": "“1”让梯度不会消失，但并不让各处范数相等：预激活网络中第一个块的梯度是最后一个块的 {pre}，v1 中为 {v1}。",
    "lab.gradient_split.sum": "核对：捷径部分 + 分支部分与 autograd 的梯度在每个块上相差不超过 {err:.1e}（相对误差）。",

    # ---- lab.lesion: viz/lab/lesion.py
    "lab.lesion.paths_panel": "经过 n = {n} 个块的路径<br>按长度分布（C(n, k) / 2ⁿ）",
    "lab.lesion.single_panel": "删除一个块<br>（保留捷径，去掉分支）",
    "lab.lesion.k_panel": "随机删除 k 个块<br>（均值；带：最差–最好的一次抽取）",
    "lab.lesion.path_x": "路径经过的块数（k）",
    "lab.lesion.path_y": "占全部 2ⁿ 条路径的比例",
    "lab.lesion.block_x": "被删除的块",
    "lab.lesion.k_x": "删除的块数（k）",
    "lab.lesion.acc": "留出集准确率",
    "lab.lesion.title": "Veit 等人（2016）的实验，在 {source} 上实测",
    "lab.lesion.saved_title": "Veit 等人（2016）在竞赛的更深网络上：{seeds} 个种子，{where}，{date}（我们测的，不是论文的数字）",
    "lab.lesion.hover": "%{customdata}：%{y:.1%}",
    "lab.lesion.paths": (
        "{n} 个块共有 2^{n} ≈ {total} 条路径；其中 {mass:.0%} 经过 {lo} 到 {hi} 个分支（平均 {mean:.1f}），只有一条经过全部 {n} "
        "个：大多数路径比网络本身短得多。"
    ),
    "lab.lesion.robust": (
        "**{name}**（完整时 {intact:.1%}）：删除任一个块后为 {lo:.1%}–{hi:.1%}；在不改变形状的 {m} 个块中有 {ok} 个下降不超过 {drop:.0f} "
        "个百分点**。它表现得像一个集成**，正如 Veit 等人在深层 ResNet 上的发现。"
    ),
    "lab.lesion.fragile": (
        "**{name}**（完整时 {intact:.1%}）：删除任一个块后为 {lo:.1%}–{hi:.1%}；在不改变形状的 {m} 个块中只有 {ok} 个下降不超过 {drop:.0f} "
        "个百分点**。这里没有出现集成式的鲁棒性**。"
    ),
    "lab.lesion.fragile_small": " {n} 个块只有 2^{n} = {total} 条路径，短路径很少：Veit 的发现针对的是深层 ResNet。",
    "lab.lesion.plain": (
        "**{name}**（完整时 {intact:.1%}）：去掉一层后为 {lo:.1%}–{hi:.1%}（中位数 {med:.1%}，随机猜测 "
        "{chance:.0%}）：普通网络只有一条路径，它会断掉，正如 Veit 等人实验中的 VGG。"
    ),
    "lab.lesion.k_smooth": (
        "从 {name} 中随机删除 k 个块：平均准确率从 k = 1 时的 {first:.1%} 降到 k = {k} 时的 {last:.1%}，每多删一个块的损失都不超过 "
        "{step:.1%}：平滑下降（Veit 的图 5）。"
    ),
    "lab.lesion.k_sharp": (
        "从 {name} 中随机删除 k 个块：平均准确率从 k = 1 时的 {first:.1%} 降到 k = {k} 时的 {last:.1%}；多删一个块可能损失 {step:.1%}：不是 "
        "Veit 图 5 那样的平滑下降。"
    ),
    "lab.lesion.huang": "随机深度（Huang 等人，2016）在训练时就以这种方式随机删除块，使 ResNet 更加鲁棒。",
    "lab.lesion.missing": "{path} 没有保存的剪除实验；运行：python scripts/lesion.py",
    "lab.lesion.seed_line": (
        "种子 {seed}：{name} 完整时 {intact:.1%}，不改变形状的 {m} 个块中有 {ok} 个删除后下降不超过 {drop:.0f} 个百分点：{word}"
    ),
    "lab.lesion.seed_robust": "鲁棒",
    "lab.lesion.seed_fragile": "低于 Veit 的解读所需的 80% 的块",
    "lab.lesion.seeds": "**在 {name} 的 {seeds} 个种子中，有 {n} 个出现了 Veit 的鲁棒性**。种子 0 的完整结果：",
    "lab.lesion.untrained": (
        "**{name}** 完整时只有 {intact:.1%}（随机猜测 {chance:.0%}）：它没有训练起来，所以删除它的块（{lo:.1%}–{hi:.1%}）说明不了鲁棒性；它训练不起来，"
        "正是退化问题本身。"
    ),

    # ---- lab.paper: viz/lab/paper.py
    "lab.paper.cifar_head": "**CIFAR-10，论文表 6（论文的数字，不是我们的）**：",
    "lab.paper.cifar_cols": (
        "| 网络 | 参数量 | 测试错误率 |\n"
        "| --- | --- | --- |"
    ),
    "lab.paper.cifar_note": (
        "深度一直有帮助直到 110 层；ResNet-1202 的训练误差同样很低，测试却比 ResNet-110 差：论文将其归因于过拟合（小数据集上 1940 万参数）。普通-20 和普通-56 "
        "只以曲线形式出现（图 6 左）：更深的普通网络训练和测试错误率都更高；论文没有给出它们的表格数字。"
    ),
    "lab.paper.imagenet_head": "**ImageNet，论文表 2–3（验证集，10 处裁剪；论文的数字）**：",
    "lab.paper.imagenet_cols": (
        "| 网络 | top-1 错误率 | top-5 错误率 |\n"
        "| --- | --- | --- |"
    ),
    "lab.paper.flops_head": "**FLOPs：论文表 1 与本项目的精确计数并列**（224×224 下卷积层和全连接层的乘加次数，论文的 v1 块；“架构”页显示同样的计数）：",
    "lab.paper.flops_cols": (
        "| 深度 | 表 1 | 本项目计数 |\n"
        "| --- | --- | --- |"
    ),
    "lab.paper.not_given": "未给出",

    # ---- lab.no_bn: viz/lab/no_bn.py
    "lab.no_bn.title": "没有 BN 的 ResNet-{depth}：在竞赛数据上训练 {steps} 步（我们测的）",
    "lab.no_bn.stream_panel": "初始化时每个块之后残差流的标准差",
    "lab.no_bn.loss_panel": "训练损失（空缺处：非有限值）",
    "lab.no_bn.block": "块",
    "lab.no_bn.step": "步数",
    "lab.no_bn.default": (
        "**默认（He 初始化）**：残差流的标准差从第一个块到最后一个块增长了 {growth}（x + F(x) 中 F 与 x 一样大：方差每个块约翻一倍），{fate}。"
    ),
    "lab.no_bn.cure": "**{method}**：每个块都从恒等映射开始（残差流增长 {growth}）；它{fate}。",
    "lab.no_bn.diverged": "损失不是有限值或一直高于随机猜测（{chance:.2f}）：无法训练",
    "lab.no_bn.trains": "可以训练：损失 {first:.2f} → {last:.2f}（随机猜测 {chance:.2f}），留出集准确率 {acc:.0%}",
    "lab.no_bn.note": "这是一次短训练：这些方法的作用是让没有 BN 的网络能够训练，而不是在 {steps} 步内赶上 BN。",
    "lab.no_bn.seed_line": "种子 {seed}：能训练：{ok}；不能：{bad}（留出集：{accs}）",
    "lab.no_bn.saved_where": (
        "**已保存的实验**（没有 BN 的 ResNet-{depth}，{steps} 步，{seeds} 个种子；{machine}，{date}；我们测的）："
    ),
    # ---- error: what a resnet_core.errors.UserError names by its key (the page words it; its own
    # message is the library's English for scripts)
    "error.no_image": "没有收到图片。请先选择一张图片。",
    "error.image_empty": "文件是空的（0 字节）。",
    "error.image_text": "这个文件是文本，不是可读的图片（请用 PNG、JPEG、WebP、GIF、BMP 或 TIFF）。",
    "error.image_unsupported": "这个文件不是可读的图片（不支持 {kind}；请用 PNG、JPEG、WebP、GIF、BMP 或 TIFF）。",
    "error.not_an_image": "这个文件不是可读的图片（请用 PNG、JPEG、WebP、GIF、BMP 或 TIFF）。",
    "error.image_damaged": "这个图片文件已损坏，无法读取。",
    "error.image_damaged_kind": "这个 {kind} 文件已损坏，无法读取。",
    "error.image_incomplete": "这个 {format} 文件不完整或已损坏（可能在上传时被截断）。",
    "error.image_bomb": "图片太大：超过 {limit} 百万像素。请换一张小一些的图片。",
    "error.image_pixels": "图片太大：{width}×{height} 共 {size} 百万像素，上限是 {limit}。请换一张小一些的图片。",
    "error.image_file_size": "这个文件大小为 {size}，上限是 {limit}。请换一个小一些的文件。",
    "error.image_no_pixels": "这张图片没有像素（尺寸为 {width}×{height}）。",
    "error.image_mode": "不支持颜色模式为 {mode} 的图片；请用 PNG、JPEG、WebP、GIF、BMP 或 TIFF。",
    "error.image_not_file": "这不是图片文件（而是文件夹或特殊文件）。",
    "error.image_not_found": "找不到这个图片文件。",
    "error.image_permission": "无法打开这个图片文件（没有权限）。",
    "error.image_not_opened": "无法打开这个图片文件。",
    "error.image_decode_large": "这张图片太大，无法安全地解码。",
    "error.image_decode_memory": "这张图片太大，现有内存无法解码。",
    "error.image_size_whole": "输入尺寸必须是整数，收到的是 {got}。",
    "error.image_size_range": "输入尺寸必须是 1 到 {limit} 之间的整数，收到的是 {got}。",
    "error.weights_input_size": "这组权重要求 {size} 像素的输入；本服务器只接受 1 到 {limit} 像素。",
    "error.meta_ifd_entries": "这张图片的元数据（{what}）在一个目录里有 {n:,} 个条目；上限是 {limit}。请去掉元数据后重新保存图片。",
    "error.meta_tiff_strips": "这个 TIFF 文件分成了 {n:,} 个条带或图块；上限是 {limit:,}。请重新保存（任何图片编辑器都可以）或改用 PNG。",
    "error.meta_values": "这张图片的元数据（{what}）含有超过 {limit:,} 个数值，读取它所需的内存远多于图片本身。请去掉元数据后重新保存图片。",
    "error.meta_bytes": "这张图片的元数据（{what}）声称的数据比文件实际含有的多，读取它所需的内存远多于图片本身。请去掉元数据后重新保存图片。",
    "error.meta_jpeg_segments": "这个 JPEG 在图像之前有超过 {limit:,} 块元数据。请去掉元数据后重新保存。",
    "error.meta_gif_blocks": "这个 GIF 在第一帧之前有超过 {limit:,} 块元数据。请去掉注释后重新保存，或改用 PNG。",
    "error.meta_png_chunks": "这个 PNG 被分成了超过 {limit:,} 个数据块。请重新保存（任何图片编辑器都可以）。",
    "error.meta_png_metadata": "这个 PNG 含有超过 {limit:,} 个元数据块。请重新保存（任何图片编辑器都可以）。",
    "error.term_tiff_file": "TIFF 文件",
    "error.no_output": "{layer} 在 {height}×{width} 的输入下没有输出；请选更大的输入尺寸。",
    "error.position_outside": "位置 ({row}, {col}) 超出了 {layer} 的 {height}×{width} 输出。",
    "error.no_layer": "{model} 中没有名为 {layer} 的阶段或块。",
    "error.no_layer_stages": "没有名为 {layer} 的阶段或块；阶段有：{stages}。",
    "error.channel_range": "{layer} 的通道是 0 到 {last}；{got} 不在其中。",
    "error.erf_empty": "梯度图是空的：没有任何梯度从这个单元传回输入。",
    "error.picture_sides": "图片尺寸为 {width}×{height}；每条边必须在 1 到 {limit} 像素之间。",
    "error.upload_first_inspect": "请先在“检视”页上传一张图片（或选一个示例）。",
    "error.upload_first": "请先上传一张图片（或选一个示例）。",
    "error.run_first": "请先运行一次检视。",
    "error.inspection_expired": "你上一次的检视结果已过期；请重新运行。",
    "error.session_empty": "本会话还没有保存任何结果；请先运行。",
    "error.session_expired": "本会话保存的结果已过期；请重新运行。",
    "error.result_too_large": "这个结果太大，无法保存以便重绘；请选择更小的输入尺寸。",
    "error.not_yours": "这个会话属于另一个浏览器；请刷新页面，开始你自己的会话。",
    "error.server_full": "服务器正在为运行中的任务保留内存，已无空间；请几分钟后再试，或选择更小的输入。",
    "error.budget_params": (
        "{name} 有 {value:.1f}M 个参数；本服务器只运行不超过 {limit:.1f}M 个参数的网络（ResNet-152 有 60.2M）。"
        "网络结构页仍然可以显示它。"
    ),
    "error.budget_macs": "{name} 在 {size}×{size} 输入下每次前向需要 {value:.0f} GMACs；本服务器最多允许 {limit:g}。请选择更小的网络。",
    "error.budget_macs_fits": (
        "{name} 在 {size}×{size} 输入下每次前向需要 {value:.0f} GMACs；本服务器最多允许 {limit:g}。"
        "请把输入尺寸减到约 {fits} 以内，或选择更小的网络。"
    ),
    "error.input_sides": "输入边长必须在 {low} 到 {high} 像素之间，这里是 {got}。",
    "error.block_counts": "每个阶段的残差块数应是四个整数，例如 2, 2, 2, 2；这里是 {got}。",
    "error.block_count_number": "每个阶段给一个残差块数（共 {stages} 个），这里给了 {got} 个。",
    "error.blocks_per_stage": "每个阶段需要 {low} 到 {high} 个残差块，这里是（{got}）。",
    "error.unknown_class": "未知的类别 {value}：请从列表中选择，或输入类别编号（0-{last}）。",
    "error.layer_name": "请按名称选择一层，例如 'layer4' 或 'layer3.2'。",
    "error.layer_unknown": "没有名为 {layer} 的层；可选：{choices}。",
    "error.targets_many": "一次最多 {limit} 个 Grad-CAM 目标，这里有 {got} 个。",
    "error.target_range": "目标类别必须是 0 到 {last} 之间的整数，这里是 {got}。",
    "error.checkpoint_suffix": "检查点只接受 .safetensors 或 .pth 文件。",
    "error.checkpoint_missing": "请先上传检查点文件（.safetensors 或 .pth），或选择其他权重。",
    "error.checkpoint_expired": "你的检查点已从本会话中过期；请重新载入。",
    "error.checkpoint_other_arch": "你的检查点是为另一个结构载入的；请为当前结构重新载入。",
    "error.checkpoint_size": "{name} 大小为 {size} MB；上限是 {limit} MB。",
    "error.not_a_checkpoint": "{name} 不是检查点：需要 .safetensors 文件，或用 torch.save 保存的状态字典。",
    "error.checkpoint_pickle_named_safetensors": (
        "{name} 的扩展名是 .safetensors，里面却是 pickle（torch.save 的数据）；已拒绝：如果确实如此，请改名为 .pth。"
    ),
    "error.checkpoint_pickle_refused": (
        "{name} 已被拒绝：它的 pickle 要求构建权重文件从不需要的对象；只载入张量和普通容器"
        "（请保存 state_dict，或使用 safetensors）。"
    ),
    "error.checkpoint_unreadable": "{name} 不是可读的检查点（被截断或已损坏？）。",
    "error.checkpoint_params": "{name} 有 {value:.1f}M 个参数；本服务器只载入不超过 {limit:.1f}M 个参数的检查点（ResNet-152 有 60.2M）。",
    "error.checkpoint_missing_key": "{name} 与 {arch} 不匹配：缺少键 {entry}{more}。",
    "error.checkpoint_unexpected_key": "{name} 与 {arch} 不匹配：多出键 {entry}{more}。",
    "error.term_arch_classes": "{model}（{classes} 个类别）",
    "error.term_and_more": "（另有 {n} 个）",
    "error.term_trained_for": "；它是为 {classes} 个类别训练的",
    "error.checkpoint_none": "请选择一个 .safetensors 或 .pth 文件。",
    "error.checkpoint_shape": "{name} 与 {arch} 不匹配：{entry} 的形状是 {shape}，模型需要 {needed}{hint}。",
    "error.checkpoint_no_file": "找不到检查点文件 {name}。",
    "error.checkpoint_not_read": "无法读取 {name}。",
    "error.checkpoint_not_read_why": "无法读取 {name}（{reason}）。",
    "error.checkpoint_zip_records": "{name}：其 zip 条目解压后比其中张量所需的更大；已拒绝。",
    "error.checkpoint_tensors": "{name} 含 {n} 个张量；ResNet 至多有 {limit} 个；已拒绝。",
    "error.checkpoint_entries": "{name} 含 {n} 个条目；ResNet 至多有 {limit} 个；已拒绝。",
    "error.checkpoint_values": (
        "{name} 含 {value:.1f}M 个数值（张量及其存储全部计入）；本服务器至多载入 {limit:.1f}M 个；"
        "已在载入前拒绝。"
    ),
    "error.safetensors_entry": "{name}：{entry} 的 safetensors 条目格式不对。",
    "error.safetensors_truncated": "{name} 被截断或已损坏：{entry} 结束于第 {end} 字节，但数据只有 {size} 字节。",
    "error.safetensors_data": "{name} 已损坏：{entry} 的数据与其形状和数据类型不符。",
    "error.safetensors_header_size": "{name}：safetensors 文件头声称有 {n} 字节；ResNet 只需不到 {limit} MB；已拒绝。",
    "error.safetensors_header_length": "{name}：safetensors 文件头长度（{n}）超出了文件末尾（文件共 {size} 字节）。",
    "error.safetensors_header_json": "{name}：safetensors 文件头不是有效的 JSON。",
    "error.safetensors_header_object": "{name}：safetensors 文件头不是一个 JSON 对象。",
    "error.checkpoint_zip_entries": "{name} 是含 {n} 个条目的 zip；ResNet 检查点的条目远少于此；已拒绝。",
    "error.checkpoint_zip_damaged": "{name} 是损坏的 zip 压缩包，不是检查点。",
    "error.checkpoint_torchscript": "{name} 是 TorchScript 程序（torch.jit.save），不予接受；请上传它的 state_dict。",
    "error.checkpoint_export": "{name} 是 torch.export 程序（.pt2），不予接受；请上传它的 state_dict。",
    "error.checkpoint_zip_other": "{name} 是 zip 压缩包，但不是 torch.save 检查点。",
    "error.checkpoint_unpacks": "{name} 解压后超过 {limit} MB；已拒绝。",
    "error.checkpoint_pickle_size": "{name}：其中的 pickle 解压后超过 {limit} MB；已拒绝。",
    "error.checkpoint_not_state_dict": "{name} 中是一个 {kind}，不是 state_dict。",
    "error.checkpoint_key_type": "{name}：state_dict 的键必须是字符串，却发现 {entry}。",
    "error.checkpoint_not_tensor": "{name}：{entry} 是 {kind}，不是张量。",
    "error.checkpoint_not_dense": "{name}：{entry} 不是普通的稠密张量。",
    "error.checkpoint_empty": "{name} 中没有张量。",
    "error.checkpoint_dtype_float": "{name}：{entry} 的数据类型是 {dtype}，需要浮点张量。",
    "error.checkpoint_dtype_int": "{name}：{entry} 的数据类型是 {dtype}，需要整数张量。",
    "error.checkpoint_not_finite": "{name}：{entry} 含有 NaN 或无穷大的值。",
    "error.checkpoint_load_failed": "{name} 无法载入 {model}：{detail}",
    "error.checkpoint_too_large_values": "{name}：{entry} 中的值超出了 {dtype} 能表示的范围。",
    "error.checkpoint_not_loaded": "权重“checkpoint”指你自己的文件：请先为这个结构载入检查点（它只保存在你的会话中），或选择其他权重。",
    "error.checkpoint_network_params": "{name} 构成的网络有 {value:.1f}M 个参数（{classes} 个类别）；本服务器只运行不超过 {limit:.1f}M 个参数的网络。",
    "error.checkpoint_other_backend": "这个检查点是由另一个后端载入的；请重新载入。",
    "error.checkpoint_gone": "你的检查点已不在服务器上；请重新载入。",
    "error.input_too_small": "输入太小：{layer} 会产生 {height}×{width} 的特征图。",
    "error.imagenet_depth": "ImageNet 权重只有 ResNet-{standard} 才有，{name} 没有。",
    "error.imagenet_variant": "ImageNet 权重只适用于 torchvision 的 v1.5 结构，不适用于 {variant} 变体。",
    "error.imagenet_lab": "ImageNet 权重需要 BatchNorm 和捷径连接，而这个实验模型没有。",
    "error.imagenet_classes": "ImageNet 权重有 1000 个类别，这个模型有 {classes} 个。",
    "error.weights_no_such": "ResNet-{depth} 没有 {name} 权重（可选：{names}）。",
    "error.download_large": "从 {url} 下载的文件比预期的大",
    "error.download_corrupt": "从 {url} 下载的文件已损坏（哈希值不符）",
    "error.download_http": "下载失败（HTTP {code}）",
    "error.download_no_network": "没有网络",
    "error.download_not_saved": "文件无法保存（{kind}）",
    "error.weights_offline": "处于离线模式（{env}=1），且 torch hub 缓存 {cache} 中没有该文件。",
    "error.weights_not_cached": "{reason}，且 torch hub 缓存 {cache} 中没有该文件。",
    "error.weights_cache_unusable": "缓存文件 {path} 无法使用（{problem}）；删除它即可重新下载。",

    # ---- 迁移学习：resnet_core/transfer 与“训练”页
    "error.transfer_name_type": "类别名必须是文字，而不是 {kind}。",
    "error.transfer_name_empty": "类别名 {name} 去掉标记和空格后就是空的。",
    "error.transfer_one_class": "请给出 {low} 到 {high} 个类别；现在只有 1 个。分类器至少要有两个类别可供选择。",
    "error.transfer_class_count": "请给出 {low} 到 {high} 个类别；现在有 {got} 个。",
    "error.transfer_name_twice": "整理后有两个类别同名：{first} 和 {second}。请给每个类别起不同的名字。",
    "error.transfer_class_empty": "类别 {name} 没有图片；请至少添加 {low} 张。",
    "error.transfer_class_few": "类别 {name} 只有 {n} 张图片；请至少给 {low} 张（一张用来学习，一张用来测试）。",
    "error.transfer_class_many": "类别 {name} 有 {n} 张图片；每个类别最多 {high} 张。",
    "error.transfer_total": "一共 {total} 张图片；最多允许 {high} 张。",
    "error.transfer_pairs": "请把每个类别写成（名称，图片）一对。",
    "error.transfer_megapixels": "这些图片一共有 {pixels:,.0f} 百万像素；每个数据集最多读取 {limit:,.0f} 百万像素。请用更少或更小的图片。",
    "error.transfer_read_time": "读取图片用的时间超过了这次运行的时间预算；请用更少或更小的图片，或者多给一些秒数。",
    "error.transfer_image": "类别 {name} 的图片 {label}：{problem}",
    "error.transfer_no_folder": "{name} 处没有文件夹。",
    "error.transfer_zip_backslash": "压缩包成员 {member} 的路径里有反斜杠或空字符；已拒绝。",
    "error.transfer_zip_absolute": "压缩包成员 {member} 使用绝对路径；已拒绝。",
    "error.transfer_zip_outside": "压缩包成员 {member} 指向压缩包之外（`..`）；已拒绝。",
    "error.transfer_zip_link": "压缩包成员 {member} 是符号链接；已拒绝。",
    "error.transfer_zip_encrypted": "压缩包成员 {member} 已加密；请使用普通的压缩包。",
    "error.transfer_zip_nested": "压缩包成员 {member} 本身是归档文件；不接受嵌套的归档。",
    "error.transfer_zip_member_size": "压缩包成员 {member} 声明有 {size} 字节；每张图片最多 {limit} MB。",
    "error.transfer_zip_ratio": "压缩包成员 {member} 解压后会膨胀 {ratio} 倍；疑似压缩炸弹，已拒绝。",
    "error.transfer_zip_unreadable": "无法读取压缩包成员 {member}（{kind}）。",
    "error.transfer_zip_damaged": "压缩包成员 {member} 已损坏。",
    "error.transfer_zip_overflow": "压缩包成员 {member} 的内容超过它声明的大小或上限；疑似压缩炸弹，已拒绝。",
    "error.transfer_zip_in_zip": "压缩包成员 {member} 本身又是压缩包；不接受嵌套的归档。",
    "error.transfer_zip_expands": "压缩包解压后超过 {limit} MB；已拒绝。",
    "error.transfer_zip_not_image": "压缩包成员 {member} 不是图片（允许的后缀：{allowed}）。",
    "error.transfer_zip_empty": "压缩包里没有图片；请在里面为每个类别放一个图片文件夹。",
    "error.transfer_zip_no_folder": "压缩包成员 {member} 不在任何类别文件夹里；请每个类别用一个文件夹，图片直接放在里面。",
    "error.transfer_no_zip": "{name} 处没有压缩包。",
    "error.transfer_zip_type": "压缩包应是文件路径或字节，而不是 {kind}。",
    "error.transfer_zip_size": "压缩包有 {size} MB；最多 {limit} MB。",
    "error.transfer_not_zip": "这个文件不是可读的压缩包。",
    "error.transfer_zip_entries": "压缩包有 {n} 个条目；最多允许 {limit} 个。",
    "error.transfer_zip_bomb": "压缩包在 {size} KB 里声明了 {declared} MB 的图片；疑似压缩炸弹，已拒绝（图片几乎无法压缩）。",
    "error.transfer_held_out": "留出比例必须在 0.05 到 0.5 之间，现在是 {got}。",
    "error.transfer_strategy_got": "训练方式必须是 {choices} 之一；现在是 {got}。",
    "error.transfer_strategy": "训练方式必须是 {choices} 之一。",
    "error.transfer_number": "`{name}` 必须是数字，现在是 {got}。",
    "error.transfer_range": "`{name}` 必须在 ({low:g}, {high:g}] 之内，现在是 {got}。",
    "error.transfer_whole": "`{name}` 必须是 {low} 到 {high} 之间的整数，现在是 {got}。",
    "error.transfer_features_time": "提取 {n} 张图片的特征用的时间超过了这次运行的时间预算；请多给一些秒数，或者选更少的图片、更小的网络或更小的输入尺寸。",
    "error.transfer_reserve": "预留时间必须在 0 到 {limit:g} 秒之间（不含上限），现在是 {got}。",
    "error.transfer_not_resnet": "训练需要一个由 `resnet_core` 构建的 ResNet。",
    "error.transfer_config": "`config` 必须是 `TrainConfig`。",
    "error.transfer_outputs": "模型有 {outputs} 个输出，却有 {names} 个类别名。",
    "error.transfer_not_safetensors": "这个文件不是 safetensors 检查点。",
    "error.transfer_not_export": "这个检查点不是“训练”页导出的（里面没有类别名）。",
    "error.transfer_metadata": "检查点的元数据已损坏。",
    "error.transfer_script_variant": "脚本只支持 v1 和 v1.5 的 ResNet；不支持预激活网络。",
    "error.transfer_train_first": "请先训练；现在还没有可比较的内容。",
    "error.transfer_zip_missing": "请选择一个 .zip 文件，每个类别一个图片文件夹。",
    "error.transfer_source": "图片来源必须是 {choices} 之一",
    "error.finetune_data_type": "数据集必须是 `resnet_core.transfer.data.ImageSet`。",
    "error.finetune_data_size": "数据集应有 1 到 {high} 张图片，每张都有名字。",
    "error.finetune_picture": "每张图片必须是 `(H, W, 3)` 的 `uint8` 数组（与 `resnet_core.transfer.data` 读出的一样）。",
    "error.finetune_labels": "标签必须是 `(N,)` 的 `int64` 数组，每张图片一个。",
    "error.finetune_label_range": "每个标签都必须是数据集中的某个类别。",
    "error.finetune_key": "`key` 必须是 `resnet_core.zoo.ModelKey`。",
    "error.finetune_checkpoint": "微调从 torchvision 的权重或随机权重开始，而不是从载入的检查点开始。",
    "error.finetune_config": "`config` 必须是 `resnet_core.transfer.train.TrainConfig`。",
    "error.finetune_spent": "`spent` 是秒数，而不是 {got}。",
    "error.finetune_no_time": "训练开始前时间预算就已用完；请多给一些秒数。",
    "error.finetune_max_cams": "`max_cams` 是 0 到 {high} 之间的整数。",
    "error.train_first": "请先训练；现在还没有可比较或导出的内容。",
    "error.train_expired": "你的训练结果已过期；请重新训练。",
    "error.snapshot_first": "请先拍一张快照。",
    "error.jobs_per_address": "这个地址已有 {n} 个任务在排队或运行；请等它们完成（或读取它们的结果）后再发送新的任务。",
    "error.jobs_per_session": "这个浏览器会话已有 {n} 个任务在排队或运行；请等它们完成（或读取它们的结果）后再发送新的任务。",
    "error.server_crowded": "服务器正忙：队列这么满的时候，每个地址只能有一个任务在排队或运行。请等你的任务完成后再试。",
    "error.upload_rate": "这个地址上传得太多了：每 {seconds} 秒最多 {mb} MB。请一分钟后再试。",
    "error.upload_space_full": "服务器的上传空间现在已满。请几分钟后再试。",
    "error.upload_length": "上传必须带有 Content-Length 请求头。",
    "error.request_too_large": "请求超过了 {mb} MB。",
    "error.remote_file": "只提供本服务器上的文件，不提供网址。",
    "error.uploads_only": "文件只能来自上传，不能来自网址。",
    "error.not_a_choice": "“{value}”不在可选项之中。",
    "error.term_value": "数值",
    "error.whole_number_not": "{name}必须是整数，而不是 {got}。",
    "error.whole_number_digits": "{name}必须是用数字 0-9 写的整数，收到的是 {got}。",
    "error.whole_number": "{name}必须是整数，收到的是 {got}。",
    "error.whole_number_range": "{name}必须是 {low} 到 {high} 之间的整数，收到的是 {got}。",
    "error.whole_number_low": "{name}必须是不小于 {low} 的整数，收到的是 {got}。",
    "error.whole_number_high": "{name}必须是不大于 {high} 的整数，收到的是 {got}。",
    "error.size_whole": "输入尺寸是整数个像素，而不是 {got}",
    "error.top_k_whole": "“前 k 个”是整数，而不是 {got}",
    "error.class_whole": "类别是整数，而不是 {got}",
    "error.class_several": "{value} 对应多个类别（{numbers}）；请按编号选一个",
    "error.position": "位置是行号和列号，例如 7, 7（留空表示中心），而不是 {got}",
    "error.channels": "通道是 1 到 {high} 个整数，例如 0, 1, 2, 3；收到的是 {got}",
    "error.saved_too_large": "{name} 超过 {limit} 字节；不是{what}文件",
    "error.saved_format": "{name} 不是{what}文件：格式为 {found}，应为 {expected}",
    "error.saved_malformed": "{name} 不是{what}文件：{problem}",
    "error.term_race": "赛跑曲线",
    "error.term_no_bn": "无 BN 赛跑",
    "error.term_degradation": "退化实验",
    "error.term_lesion": "删块实验",
    "error.term_landscape": "损失地形",
    "error.lab_integer": "`{name}` 必须是 {low} 到 {high} 之间的整数，收到的是 {got}",
    "error.lab_number": "`{name}` 必须是 {low} 到 {high} 之间的数，收到的是 {got}",
    "error.cifar_depth": "CIFAR ResNet 的层数是 6n+2（20、32、44、56、110），而不是 {depth}",
    "error.lab_no_block": "模型中没有名为 {block} 的块。",
    "error.lab_no_block_between": "模型中没有名为 {block} 的块（块从 {first} 到 {last}）。",
    "error.lab_plain_block": "{block} 是普通块（没有捷径），所以没有可消融的东西。",
    "error.landscape_cpu_grid": "深度 {depth} 下 {grid}×{grid} 的网格对 CPU 来说计算量太大；请用更小的网格。",
    "error.flow_work": (
        "批量 × 输入尺寸² × 深度 = {batch} × {size}² × {depth} = {work:,}，超过了 {family} 的上限 {limit:,}；"
        "请减小批量或输入尺寸。"
    ),
    "error.shatter_work": "点数 × 深度之和 × (输入尺寸/16)² = {work:,.0f}，超过了上限 {limit:,}。",
    "error.lab_depths_four": "请给出 1 到 4 个深度，收到的是 {got}。",
    "error.lab_depths_six": "请给出 1 到 6 个深度，收到的是 {got}。",
    "error.lab_distinct_depths": "请给出 1 到 {most} 个互不相同的深度，收到的是 {got}。",
    "error.attribution_budget": "{what}要让 {passes} 张图像通过网络；每个请求最多 {limit} 张：请少选或选更省的方法、减少采样数或步数，或增大步幅或格子大小",
    "error.method_budget": "{method} 要让 {passes} 张图像通过网络；每个请求最多 {limit} 张：请减少它的采样数或步数，或增大步幅或格子大小",
    "error.deletion_passes": "删除与插入曲线需要 {passes} 次前向传播；上限是 {limit} 次",
    "error.metric_passes": "{method} 的指标需要 {passes} 次前向传播；上限是 {limit} 次",
    "error.mask_features": "掩码有 {n} 个特征；最多 {most} 个：请用更大的格子",
    "error.attr_no_layer": "这个模型没有名为 {name} 的层",
    "error.sanity_passes": "健全性检查要让 {passes} 张图像通过网络（{steps} 步）；每个请求最多 {limit} 张：请少选或选更省的方法",
    "error.weights_side": "这些权重要求 {side} 像素的输入；本服务器接受 1 到 {most} 像素",
    "error.sanity_pictures": "健全性检查手头只有 {n} 张图片",
    "error.methods_at_once": "一次请选 1 到 {limit} 种方法",
    "error.lrp_no_rule": "captum 的 LRP 没有适用于 {names} 的传播规则，它现有的规则也都不适用（零填充捷径的相关性没有确定的分配方式）",
    "error.method_not_applicable": "{method} 不适用于这个模型：{why}",
    "error.term_these_methods": "这些方法",
    "error.term_sanity_check": "合理性检验（{steps} 步，{pictures} 张图）",
    "error.term_faithfulness": "忠实度研究",
}
