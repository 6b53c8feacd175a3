// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {LendingPool} from "../src/LendingPool.sol";
import {ILendingPool} from "../src/interfaces/ILendingPool.sol";
import {ILendingPoolTypes} from "../src/interfaces/ILendingPoolTypes.sol";
import {LendingPoolExtension} from "../src/pool/LendingPoolExtension.sol";
import {DefaultParams} from "./lib/DefaultParams.sol";
import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {Script, console2} from "forge-std/Script.sol";

/// @notice Deploys one lending pool: its extension, its implementation and an ERC-1967 proxy initialised with the
/// default rate model. Inputs come from the environment (never from the command line): POOL_ASSET, POOL_VALUATION,
/// POOL_TIMELOCK, POOL_GUARDIAN, POOL_CUSTODY, optional POOL_NAME, POOL_SYMBOL, POOL_MIN_LOAN. The broadcaster is
/// forge's (`--account` keystore or `--private-key` from the environment).
contract DeployPool is Script {
    function run() external returns (ILendingPool pool) {
        address asset = vm.envAddress("POOL_ASSET");
        address valuation = vm.envAddress("POOL_VALUATION");
        address timelock = vm.envAddress("POOL_TIMELOCK");
        address guardian = vm.envAddress("POOL_GUARDIAN");
        address custody = vm.envAddress("POOL_CUSTODY");
        ILendingPoolTypes.RateConfig memory rc =
            DefaultParams.rateConfig(vm.envOr("POOL_MIN_LOAN", uint256(0.01 ether)));

        vm.startBroadcast();
        LendingPoolExtension extension = new LendingPoolExtension(asset, valuation);
        LendingPool implementation = new LendingPool(asset, valuation, address(extension));
        bytes memory init = abi.encodeCall(
            LendingPool.initialize,
            (
                vm.envOr("POOL_NAME", string("NFT Pool")),
                vm.envOr("POOL_SYMBOL", string("npool")),
                timelock,
                guardian,
                custody,
                rc
            )
        );
        pool = ILendingPool(address(new ERC1967Proxy(address(implementation), init)));
        vm.stopBroadcast();

        console2.log("extension", address(extension));
        console2.log("implementation", address(implementation));
        console2.log("pool (proxy)", address(pool));
    }
}
